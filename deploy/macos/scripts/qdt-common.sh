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

# The token in FILE, whitespace removed; an error naming the file and the
# problem when it is empty or holds characters a gRPC header cannot carry.
qdt_read_token() {
  token=$(tr -d '[:space:]' <"$1")
  if [ -z "$token" ]; then
    echo "QDT: the token file \"$1\" is empty: put the rig token in it" >&2
    return 1
  fi
  if printf '%s' "$token" | LC_ALL=C grep -q '[^!-~]'; then
    echo "QDT: the token file \"$1\" holds characters other than printable ASCII: use the rig token as qdtctl prints it" >&2
    return 1
  fi
  printf '%s\n' "$token"
}
