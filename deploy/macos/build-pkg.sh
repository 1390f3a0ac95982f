#!/usr/bin/env bash
# Builds QDT-<version>.pkg for Apple Silicon Macs: the agent, qdtctl and an
# arm64 fio with their libraries made relocatable, the launchd daemon, the
# pre/postinstall scripts, the uninstall script and the console as an .app
# (macdeployqt). Run on an Apple Silicon Mac with Xcode's command line tools and
# Homebrew (./run.sh installs the Homebrew packages). See deploy/README.md.
#
# usage: deploy/macos/build-pkg.sh [options]
#   --out DIR          where the .pkg goes (default dist/)
#   --build-dir DIR    the CMake build folder (default build-pkg/; reused when it exists)
#   --fio PATH         the fio to bundle (default: Homebrew's fio)
#   --fio-source DIR   build fio from this unpacked fio source release instead
#   --smartctl PATH    the smartctl to bundle (default: Homebrew's smartmontools); the
#                      agent runs only this one, by its absolute path, never one on PATH
#   --sign IDENTITY    sign the .pkg ("Developer ID Installer: ..."); unsigned otherwise
#   --app-sign ID      sign programs and the app ("Developer ID Application: ...";
#                      default: ad hoc, which Apple Silicon needs to run them)
#   --no-console       leave the console out
#   --stage-only       lay out the payloads, scripts and Distribution file in
#                      OUT/stage and stop; needs no macOS tools (for review and tests)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)

out="$src/dist"
build="$src/build-pkg"
fio=""
fio_source=""
smartctl=""
sign=""
app_sign="-"
console=1
stage_only=0

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'build-pkg.sh: %s\n' "$*" >&2; exit 1; }
need_value() { [ "$2" -ge 2 ] || die "$1 needs a value (see --help)"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --out) need_value "$1" $#; out=$2; shift ;;
    --build-dir) need_value "$1" $#; build=$2; shift ;;
    --fio) need_value "$1" $#; fio=$2; shift ;;
    --fio-source) need_value "$1" $#; fio_source=$2; shift ;;
    --smartctl) need_value "$1" $#; smartctl=$2; shift ;;
    --sign) need_value "$1" $#; sign=$2; shift ;;
    --app-sign) need_value "$1" $#; app_sign=$2; shift ;;
    --no-console) console=0 ;;
    --stage-only) stage_only=1 ;;
    -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
    *) die "unknown argument \"$1\" (see --help)" ;;
  esac
  shift
done

version=$(sed -n 's/^project(qdt VERSION \([0-9][0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
[ -n "$version" ] || die "no version in $src/CMakeLists.txt (project(qdt VERSION x.y.z))"

macos=0
[ "$(uname -s)" = Darwin ] && macos=1
if [ "$stage_only" -eq 0 ]; then
  [ "$macos" -eq 1 ] || die "builds the .pkg on macOS only (this is $(uname -s)); --stage-only lays out the payloads anywhere"
  [ "$(sysctl -n hw.optional.arm64 2>/dev/null || true)" = 1 ] || die "needs an Apple Silicon Mac (the agent and fio are arm64)"
  for tool in cmake pkgbuild productbuild otool install_name_tool codesign lipo plutil; do
    command -v "$tool" >/dev/null || die "$tool not found (xcode-select --install; brew install cmake)"
  done
  if [ "$console" -eq 1 ] && ! command -v macdeployqt >/dev/null; then
    die "macdeployqt not found: brew install qt, or --no-console"
  fi
fi

stage="$out/stage"
agent_root="$stage/agent-root"
prefix="$agent_root/Library/QDT"
console_root="$stage/console-root"
rm -rf "$stage"
mkdir -p "$stage/install"
mkdir -p "$prefix/bin" "$prefix/lib" "$prefix/share" "$stage/pkgs" "$stage/scripts"

# 1. Build (Release, arm64, no tests).
if [ ! -f "$build/CMakeCache.txt" ]; then
  say "configuring $build"
  cmake_args=(-S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DQDT_BUILD_TESTS=OFF)
  command -v ninja >/dev/null && cmake_args+=(-G Ninja)
  [ "$macos" -eq 1 ] && cmake_args+=(-DCMAKE_OSX_ARCHITECTURES=arm64)
  [ "$console" -eq 1 ] || cmake_args+=(-DQDT_BUILD_CONSOLE=OFF)
  cmake "${cmake_args[@]}"
fi
say "building in $build"
cmake --build "$build" --target qdt-agent qdtctl --parallel
if [ "$console" -eq 1 ]; then
  cmake --build "$build" --target qdt-console --parallel \
    || die "the console did not build (Qt 6 missing? brew install qt, or --no-console)"
fi

# 2. The agent payload: /Library/QDT/{bin,lib,share}, the daemon, PATH entry.
say "staging the agent payload in $agent_root"
cmake --install "$build" --component agent --prefix "$stage/install"
install -m 0755 "$stage/install/bin/qdt-agent" "$stage/install/bin/qdtctl" "$prefix/bin/"
rm -rf "$stage/install"
if [ -n "$fio_source" ]; then
  [ -x "$fio_source/configure" ] || die "--fio-source: \"$fio_source\" has no configure script (an unpacked fio release?)"
  say "building fio from $fio_source"
  (cd "$fio_source" && ./configure --disable-native && make -j"$(getconf _NPROCESSORS_ONLN)")
  fio="$fio_source/fio"
elif [ -z "$fio" ]; then
  if command -v brew >/dev/null && brew --prefix fio >/dev/null 2>&1; then
    fio="$(brew --prefix fio)/bin/fio"
  else
    fio=$(command -v fio || true)
  fi
fi
if [ -z "$fio" ] || [ ! -x "$fio" ]; then
  die "--fio: no fio found at \"$fio\" (brew install fio, or --fio PATH, or --fio-source DIR)"
fi
if [ "$macos" -eq 1 ] && [ "$stage_only" -eq 0 ]; then
  archs=$(lipo -archs "$fio")
  case " $archs " in *" arm64 "*) ;; *) die "--fio: \"$fio\" is built for \"$archs\", not arm64" ;; esac
fi
cp -L "$fio" "$prefix/bin/fio"
chmod 0755 "$prefix/bin/fio"
# smartctl for drive temperatures: bundled, because a root daemon must not
# run a user-writable /opt/homebrew/bin/smartctl (docs/MACOS.md). GPL-2: its
# licence and where its source is go with it.
if [ -z "$smartctl" ]; then
  if command -v brew >/dev/null && brew --prefix smartmontools >/dev/null 2>&1; then
    smartctl="$(brew --prefix smartmontools)/sbin/smartctl"
  else
    smartctl=$(command -v smartctl || true)
  fi
fi
if [ -z "$smartctl" ] || [ ! -x "$smartctl" ]; then
  die "--smartctl: no smartctl found at \"$smartctl\" (brew install smartmontools, or --smartctl PATH)"
fi
if [ "$macos" -eq 1 ] && [ "$stage_only" -eq 0 ]; then
  archs=$(lipo -archs "$smartctl")
  case " $archs " in *" arm64 "*) ;; *) die "--smartctl: \"$smartctl\" is built for \"$archs\", not arm64" ;; esac
fi
cp -L "$smartctl" "$prefix/bin/smartctl"
chmod 0755 "$prefix/bin/smartctl"
mkdir -p "$prefix/share/licenses"
install -m 0644 "$here/smartmontools-NOTICE.txt" "$prefix/share/licenses/smartmontools.txt"
install -m 0644 "$here/agent.json" "$prefix/share/agent.json"
install -m 0755 "$here/uninstall.sh" "$prefix/uninstall.sh"
mkdir -p "$agent_root/Library/LaunchDaemons" "$agent_root/private/etc/paths.d"
install -m 0644 "$here/com.qdt.agent.plist" "$agent_root/Library/LaunchDaemons/com.qdt.agent.plist"
printf '/Library/QDT/bin\n' >"$agent_root/private/etc/paths.d/qdt"
chmod 0644 "$agent_root/private/etc/paths.d/qdt"
install -m 0755 "$here/scripts/preinstall" "$here/scripts/postinstall" "$stage/scripts/"
install -m 0644 "$here/scripts/qdt-common.sh" "$stage/scripts/"

# The Distribution file, with the version and with or without the console.
if [ "$console" -eq 1 ]; then
  sed "s/@VERSION@/$version/g" "$here/Distribution.xml" >"$stage/Distribution.xml"
else
  sed -e "s/@VERSION@/$version/g" -e '/<!-- console -->/,/<!-- \/console -->/d' \
    "$here/Distribution.xml" >"$stage/Distribution.xml"
fi

if [ "$stage_only" -eq 1 ]; then
  say "staged in $stage (--stage-only: no relocation, signing or pkgbuild)"
  exit 0
fi

# 3. Relocatable programs: every library that is not macOS's own is copied
#    into /Library/QDT/lib and found through @rpath = @executable_path/../lib.
is_system_lib() { case "$1" in /usr/lib/* | /System/*) return 0 ;; *) return 1 ;; esac; }
deps_of() { otool -L "$1" | tail -n +2 | awk '{print $1}'; }
rpaths_of() { otool -l "$1" | awk '/cmd LC_RPATH/ {getline; getline; print $2}'; }
brew_prefix=$(brew --prefix 2>/dev/null || echo /opt/homebrew)

# Where the library DEP (as FILE names it) is on this Mac.
resolve_dep() {
  local file=$1 dep=$2 name rp
  name=$(basename "$dep")
  case "$dep" in
    @rpath/* | @loader_path/* | @executable_path/*)
      for rp in $(rpaths_of "$file") "$brew_prefix/lib"; do
        case "$rp" in @*) continue ;; esac
        [ -e "$rp/$name" ] && { echo "$rp/$name"; return; }
      done
      die "cannot find $dep needed by $file"
      ;;
    *) echo "$dep" ;;
  esac
}

relocate() {
  local queue=("$prefix"/bin/*) file dep name
  while [ ${#queue[@]} -gt 0 ]; do
    file=${queue[0]}
    queue=("${queue[@]:1}")
    chmod u+w "$file"
    for dep in $(deps_of "$file"); do
      is_system_lib "$dep" && continue
      name=$(basename "$dep")
      [ "$file" = "$prefix/lib/$name" ] && continue  # a library's own id
      if [ ! -e "$prefix/lib/$name" ]; then
        cp -L "$(resolve_dep "$file" "$dep")" "$prefix/lib/$name"
        chmod 0644 "$prefix/lib/$name"
        chmod u+w "$prefix/lib/$name"
        install_name_tool -id "@rpath/$name" "$prefix/lib/$name"
        queue+=("$prefix/lib/$name")
      fi
      install_name_tool -change "$dep" "@rpath/$name" "$file"
    done
    for rp in $(rpaths_of "$file"); do
      case "$rp" in /*) install_name_tool -delete_rpath "$rp" "$file" ;; esac
    done
  done
  for file in "$prefix"/bin/*; do
    rpaths_of "$file" | grep -qx '@executable_path/../lib' \
      || install_name_tool -add_rpath "@executable_path/../lib" "$file"
  done
  # Nothing may still point into Homebrew or /usr/local.
  for file in "$prefix"/bin/* "$prefix"/lib/*; do
    [ -f "$file" ] || continue
    if deps_of "$file" | grep -Eq "^($brew_prefix|/usr/local|/opt/)"; then
      die "$file still needs $(deps_of "$file" | grep -E "^($brew_prefix|/usr/local|/opt/)" | head -1)"
    fi
  done
}
# Ad hoc signatures have no team, so the hardened runtime's library validation
# would refuse the bundled libraries: only a real identity gets it.
codesign_args=(--force --sign "$app_sign")
[ "$app_sign" = "-" ] || codesign_args+=(--options runtime --timestamp)
say "making the programs relocatable ($prefix/lib)"
relocate
for file in "$prefix"/lib/* "$prefix"/bin/*; do
  [ -f "$file" ] || continue
  codesign "${codesign_args[@]}" "$file"
done
"$prefix/bin/qdt-agent" --help >/dev/null || die "the staged qdt-agent does not run"
"$prefix/bin/fio" --version >/dev/null || die "the staged fio does not run"
"$prefix/bin/smartctl" --version >/dev/null || die "the staged smartctl does not run"

say "pkgbuild qdt-agent.pkg"
pkgbuild --root "$agent_root" --identifier com.qdt.agent --version "$version" \
  --scripts "$stage/scripts" --install-location / "$stage/pkgs/qdt-agent.pkg"

# 4. The console: an .app with Qt deployed into it, never relocated by the installer.
if [ "$console" -eq 1 ]; then
  say "staging QDT Console.app"
  mkdir -p "$console_root/Applications"
  cmake --install "$build" --component console --prefix "$console_root/Applications"
  app="$console_root/Applications/QDT Console.app"
  mv "$console_root/Applications/qdt-console.app" "$app"
  macdeployqt "$app" -always-overwrite
  codesign "${codesign_args[@]}" --deep "$app"
  pkgbuild --analyze --root "$console_root" "$stage/console-components.plist"
  plutil -replace 0.BundleIsRelocatable -bool NO "$stage/console-components.plist"
  pkgbuild --root "$console_root" --component-plist "$stage/console-components.plist" \
    --identifier com.qdt.console --version "$version" --install-location / \
    "$stage/pkgs/qdt-console.pkg"
fi

# 5. The product archive.
mkdir -p "$out"
product="$out/QDT-$version.pkg"
productbuild_args=(--distribution "$stage/Distribution.xml" --package-path "$stage/pkgs")
[ -n "$sign" ] && productbuild_args+=(--sign "$sign")
productbuild "${productbuild_args[@]}" "$product"
say "built $product"
[ -n "$sign" ] || say "unsigned: sign with --sign \"Developer ID Installer: ...\" and notarize (xcrun notarytool) before handing it out"
