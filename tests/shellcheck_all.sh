#!/usr/bin/env bash
# Every shell script of the project passes shellcheck (following sourced
# files): files named *.sh and files whose first line starts sh or bash
# (.ci/run, package maintainer and installer scripts, test stand-ins).
# usage: tests/shellcheck_all.sh [SHELLCHECK]   (run from the source root)
set -euo pipefail
shellcheck=${1:-shellcheck}
scripts=()
while IFS= read -r -d '' f; do
  case "$f" in
    *.sh) scripts+=("$f") ;;
    *) head -c 64 "$f" | head -1 | grep -Eq '^#!(/usr/bin/env (ba)?sh|/bin/(ba)?sh)( |$)' && scripts+=("$f") ;;
  esac
done < <(find . -type f -not -path './build*' -not -path './.git/*' -not -path './dist/*' -print0)
[ ${#scripts[@]} -gt 10 ] || { echo "only ${#scripts[@]} scripts found: is this the source root?" >&2; exit 1; }
echo "shellcheck: ${#scripts[@]} scripts"
"$shellcheck" -x "${scripts[@]}"
