# shellcheck shell=sh
# Shared by the pkg's preinstall and postinstall (pkgbuild ships every file of
# the scripts folder; the installer runs the scripts from it).

# shellcheck disable=SC2034  # used by the scripts that source this file
QDT_LABEL=com.qdt.agent

# The rig token file an installer may place beside the .pkg: "qdt-token.txt".
# $1: the component package path the installer passed; PACKAGE_PATH is the
# .pkg the user opened (a product archive's components live in a temp folder).
qdt_token_beside_pkg() {
  pkg=${PACKAGE_PATH:-${1:-}}
  [ -n "$pkg" ] || return 0
  printf '%s/qdt-token.txt\n' "$(dirname "$pkg")"
}

# The token in FILE, surrounding whitespace removed; an error naming the file
# and the problem when it is empty, has more than one line, holds characters
# a gRPC header cannot carry, or is not 16 to 1024 bytes long (the agent's
# rule, common/quote.h TokenProblem: the agent refuses such a file anyway).
qdt_read_token() {
  token=$(LC_ALL=C sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' "$1" | LC_ALL=C grep -v '^$')
  if [ -z "$token" ]; then
    echo "QDT: the token file \"$1\" is empty: put the rig token in it" >&2
    return 1
  fi
  if [ "$(printf '%s\n' "$token" | wc -l)" -gt 1 ]; then
    echo "QDT: the token file \"$1\" holds more than one line: the rig token is one line" >&2
    return 1
  fi
  if printf '%s' "$token" | LC_ALL=C grep -q '[^!-~]'; then
    echo "QDT: the token file \"$1\" holds characters other than printable ASCII: use the rig token as qdtctl prints it" >&2
    return 1
  fi
  length=$(printf '%s' "$token" | LC_ALL=C wc -c | tr -d ' ')
  if [ "$length" -lt 16 ] || [ "$length" -gt 1024 ]; then
    echo "QDT: the token in \"$1\" is $length bytes long; a rig token is 16 to 1024 bytes" >&2
    return 1
  fi
  printf '%s\n' "$token"
}
