#!/usr/bin/env bash
# Mutation testing (run by hand, like ./fuzz.sh; not part of ./test.sh): each
# single-bug mutant of tests/mutants/mutants.tsv is planted in a scratch copy
# of the committed tree (/work/mutate/src, or $QDT_MUTATE_DIR/src; never this
# tree), rebuilt with ccache and run against the tests that must catch it.
# Prints a markdown table; exits non-zero when a mutant survives (or a row is
# broken). Details: scripts/mutate.py --help, docs/TESTING.md.
#
#   ./mutate.sh [ID ...]              all mutants, or the ones named
#   ./mutate.sh --check [ID ...]      validate rows only (text exactly once,
#                                     targets and tests exist); runs nothing
#   ./mutate.sh --write-docs          also put the table into docs/TESTING.md
set -euo pipefail
source "$(dirname "$0")/scripts/common.sh"

case " $* " in
  *" --check "* | *" --list "* | *" -h "* | *" --help "*) ;;
  *) qdt_setup ;;
esac
exec python3 "$QDT_ROOT/scripts/mutate.py" "$@"
