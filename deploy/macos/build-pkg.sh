#!/usr/bin/env bash
# Builds the QDT installer for Apple Silicon Macs: the agent, qdtctl, an arm64
# fio (>= 3.42) and smartctl with their libraries made relocatable, the launchd
# daemon, the pre/postinstall scripts, the uninstall and acceptance scripts and
# the console as a signed .app (macdeployqt). For distribution every Mach-O is
# signed with a Developer ID Application identity (hardened runtime, secure
# timestamp), the product with a Developer ID Installer identity, then notarized
# and stapled. Run on an Apple Silicon Mac with Xcode's command line tools and
# Homebrew (./run.sh installs the Homebrew packages). See deploy/README.md.
#
# usage: deploy/macos/build-pkg.sh [options]
#   --app-sign ID      "Developer ID Application: NAME (TEAMID)": signs every program,
#                      library and the console app (hardened runtime, timestamp)
#   --sign ID          "Developer ID Installer: NAME (TEAMID)": signs the .pkg
#   --notarize PROFILE notarize with `xcrun notarytool submit --keychain-profile PROFILE
#                      --wait`, then staple (make PROFILE once: xcrun notarytool store-credentials)
#   --unsigned         no identities: ad hoc signatures (Apple Silicon needs one to run
#                      a program at all), QDT-<version>-unsigned.pkg, for testing only
#   --fio PATH         the fio to bundle, 3.42 or newer (default: Homebrew's fio)
#   --fio-source DIR   build fio from this unpacked fio source release instead
#   --smartctl PATH    the smartctl to bundle (default: Homebrew's smartmontools); the
#                      agent runs only this one, by its absolute path, never one on PATH
#   --smartmontools-source DIR  build smartctl from this unpacked smartmontools release
#   --out DIR          where the .pkg goes (default dist/)
#   --build-dir DIR    the CMake build folder (default build-pkg/; reused when it exists)
#   --min-macos X.Y    the oldest macOS the package installs on (default 14.0); every
#                      program and library must be built for it or older
#   --no-console       leave the console out
#   --stage-only       lay out the payloads, scripts and Distribution file in
#                      OUT/stage and stop; needs no macOS tools or identities (tests)
# Without --app-sign and --sign (or --unsigned) it stops before writing anything.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)

out="$src/dist"
build="$src/build-pkg"
fio=""
fio_source=""
smartctl=""
smartmontools_source=""
sign=""
app_sign=""
notarize=""
unsigned=0
console=1
stage_only=0
# The oldest macOS the package is for: the Distribution's allowed-os-versions,
# the app's LSMinimumSystemVersion, the deployment target of what is built here.
# Homebrew builds its libraries for the macOS they were bottled on, so a pkg for
# macOS 14 must be built on macOS 14; the build checks every Mach-O's minos.
min_macos=14.0
# fio 3.42 is the first that drops a file's cached pages on macOS: before it,
# invalidate=1 calls a posix_fadvise stub that does nothing, so test reads come
# from memory (fio commit 41880b9b "mac: implement (file) cache invalidation";
# docs/MACOS.md).
fio_min_major=3
fio_min_minor=42

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
    --smartmontools-source) need_value "$1" $#; smartmontools_source=$2; shift ;;
    --sign) need_value "$1" $#; sign=$2; shift ;;
    --app-sign) need_value "$1" $#; app_sign=$2; shift ;;
    --notarize) need_value "$1" $#; notarize=$2; shift ;;
    --unsigned) unsigned=1 ;;
    --no-console) console=0 ;;
    --stage-only) stage_only=1 ;;
    --min-macos) need_value "$1" $#; min_macos=$2; shift ;;
    -h | --help) sed -n '2,30p' "$0"; exit 0 ;;
    *) die "unknown argument \"$1\" (see --help)" ;;
  esac
  shift
done

version=$(sed -n 's/^project(qdt VERSION \([0-9][0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
[ -n "$version" ] || die "no version in $src/CMakeLists.txt (project(qdt VERSION x.y.z))"
printf '%s\n' "$min_macos" | grep -Eq '^1[1-9]\.[0-9]{1,2}$' \
  || die "--min-macos: \"$min_macos\" is not a macOS version like 14.0 (Apple Silicon Macs start at 11.0)"
# X.Y[.Z] → a number to compare: 14.0 → 1400, 15.1 → 1501.
os_number() { printf '%s\n' "$1" | awk -F. '{ printf "%d\n", $1 * 100 + $2 }'; }

# --- 1. Decide how it is signed, before anything is built or written. ---------
# The Team ID is the last "(...)" of a Developer ID identity's name.
team_of() { printf '%s\n' "$1" | sed -n 's/^.*(\([A-Z0-9]\{10\}\))$/\1/p'; }
team=""
if [ "$stage_only" -eq 1 ]; then
  :
elif [ "$unsigned" -eq 1 ]; then
  [ -z "$sign$app_sign$notarize" ] || die "--unsigned excludes --sign, --app-sign and --notarize"
else
  missing=()
  [ -n "$app_sign" ] || missing+=('--app-sign "Developer ID Application: NAME (TEAMID)"')
  [ -n "$sign" ] || missing+=('--sign "Developer ID Installer: NAME (TEAMID)"')
  if [ ${#missing[@]} -gt 0 ]; then
    die "no signing identity: missing ${missing[*]}.
  macOS 15 refuses to open an unsigned or unnotarized .pkg (the Control-click way round is gone),
  so a venue technician could not install it. Give both identities (and --notarize PROFILE),
  or --unsigned for a test build (QDT-$version-unsigned.pkg, marked for testing only).
  Nothing was built or written."
  fi
  case "$app_sign" in
    "Developer ID Application: "*) ;;
    *) die "--app-sign: \"$app_sign\" is not a \"Developer ID Application: NAME (TEAMID)\" identity (Gatekeeper accepts only Developer ID outside the App Store)" ;;
  esac
  case "$sign" in
    "Developer ID Installer: "*) ;;
    *) die "--sign: \"$sign\" is not a \"Developer ID Installer: NAME (TEAMID)\" identity" ;;
  esac
  team=$(team_of "$app_sign")
  [ -n "$team" ] || die "--app-sign: no Team ID (ten letters or digits in brackets at the end) in \"$app_sign\""
  [ "$(team_of "$sign")" = "$team" ] || die "--sign: \"$sign\" is not of the team $team of --app-sign"
fi

macos=0
[ "$(uname -s)" = Darwin ] && macos=1
if [ "$stage_only" -eq 0 ]; then
  [ "$macos" -eq 1 ] || die "builds the .pkg on macOS only (this is $(uname -s)); --stage-only lays out the payloads anywhere"
  [ "$(sysctl -n hw.optional.arm64 2>/dev/null || true)" = 1 ] || die "needs an Apple Silicon Mac (the agent and fio are arm64)"
  for tool in cmake pkgbuild productbuild otool install_name_tool codesign lipo plutil pkgutil; do
    command -v "$tool" >/dev/null || die "$tool not found (xcode-select --install; brew install cmake)"
  done
  if [ "$console" -eq 1 ] && ! command -v macdeployqt >/dev/null; then
    die "macdeployqt not found: brew install qt, or --no-console"
  fi
  if [ -n "$team" ]; then
    # security(1) find-identity -v lists valid identities as: 1) <SHA-1> "<name>".
    security find-identity -v -p codesigning | grep -F "\"$app_sign\"" >/dev/null \
      || die "--app-sign: \"$app_sign\" is not a valid code-signing identity in the keychain (security find-identity -v -p codesigning). Nothing was written."
    security find-identity -v | grep -F "\"$sign\"" >/dev/null \
      || die "--sign: \"$sign\" is not a valid identity in the keychain (security find-identity -v). Nothing was written."
    command -v spctl >/dev/null || die "spctl not found (it is part of macOS)"
    if [ -n "$notarize" ]; then
      for tool in notarytool stapler; do
        xcrun --find "$tool" >/dev/null 2>&1 \
          || die "--notarize: xcrun $tool not found (Xcode 13 or later, or its command line tools)"
      done
    fi
  fi
fi

# --- 2. The tools to bundle, checked before anything is staged. ---------------
# fio's and smartmontools' builds (clang) take their deployment target from here.
export MACOSX_DEPLOYMENT_TARGET="$min_macos"
# The tool NAME to bundle, printed: built from an unpacked source release
# (./configure CONFIGURE_ARGS, make NAME), or the given path, or Homebrew's
# FORMULA (its BREW_SUBDIR), or the one on PATH. The build's output goes to stderr.
bundled_tool() {  # NAME GIVEN SOURCE_DIR FORMULA BREW_SUBDIR [CONFIGURE_ARGS...]
  local name=$1 path=$2 source=$3 formula=$4 subdir=$5
  shift 5
  if [ -n "$source" ]; then
    [ -x "$source/configure" ] \
      || die "--$formula-source: \"$source\" has no configure script (an unpacked $formula release tarball; a git checkout may need ./autogen.sh first)"
    say "building $name from $source"
    (cd "$source" && ./configure "$@" && make -j"$(getconf _NPROCESSORS_ONLN)" "$name") >&2
    path="$source/$name"
  elif [ -z "$path" ]; then
    if command -v brew >/dev/null && brew --prefix "$formula" >/dev/null 2>&1; then
      path="$(brew --prefix "$formula")/$subdir/$name"
    else
      path=$(command -v "$name" || true)
    fi
  fi
  if [ -z "$path" ] || [ ! -x "$path" ]; then
    die "--$name: no $name found at \"$path\" (brew install $formula, or --$name PATH, or --$formula-source DIR)"
  fi
  printf '%s\n' "$path"
}
fio=$(bundled_tool fio "$fio" "$fio_source" fio bin --disable-native)
# `fio --version` prints fio-<major>.<minor>[-<commits>-g<hash>].
fio_line=$("$fio" --version 2>/dev/null | head -n 1 | cut -c1-80 || true)
fio_major=$(printf '%s\n' "$fio_line" | sed -n 's/^fio-\([0-9]\{1,4\}\)\.\([0-9]\{1,4\}\).*/\1/p')
fio_minor=$(printf '%s\n' "$fio_line" | sed -n 's/^fio-\([0-9]\{1,4\}\)\.\([0-9]\{1,4\}\).*/\2/p')
[ -n "$fio_major" ] || die "--fio: \"$fio\" --version said \"$fio_line\", not fio-<major>.<minor>"
if [ "$fio_major" -lt "$fio_min_major" ] || { [ "$fio_major" -eq "$fio_min_major" ] && [ "$fio_minor" -lt "$fio_min_minor" ]; }; then
  die "--fio: \"$fio\" is fio $fio_major.$fio_minor; the package needs $fio_min_major.$fio_min_minor or newer: older fio cannot drop the page cache on macOS (invalidate=1 is a no-op there before fio commit 41880b9b), so a drive would be rated on reads served from memory. Use --fio-source with the fio-3.42 release or newer."
fi

smartctl=$(bundled_tool smartctl "$smartctl" "$smartmontools_source" smartmontools sbin)
# smartctl --version's first line: smartctl <major>.<minor> <date> ...
smart_line=$("$smartctl" --version 2>/dev/null | head -n 1 | cut -c1-80 || true)
printf '%s\n' "$smart_line" | grep -Eq '^smartctl [0-9]+\.[0-9]+' \
  || die "--smartctl: \"$smartctl\" --version said \"$smart_line\", not smartctl <major>.<minor>"

# --- 3. Build (Release, arm64, no tests) and stage the agent payload. ---------
stage="$out/stage"
agent_root="$stage/agent-root"
prefix="$agent_root/Library/QDT"
console_root="$stage/console-root"
rm -rf "$stage"
mkdir -p "$stage/install"
mkdir -p "$prefix/bin" "$prefix/lib" "$prefix/share" "$stage/pkgs" "$stage/scripts"

if [ ! -f "$build/CMakeCache.txt" ]; then
  say "configuring $build"
  cmake_args=(-S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DQDT_BUILD_TESTS=OFF)
  command -v ninja >/dev/null && cmake_args+=(-G Ninja)
  [ "$macos" -eq 1 ] && cmake_args+=(-DCMAKE_OSX_ARCHITECTURES=arm64 "-DCMAKE_OSX_DEPLOYMENT_TARGET=$min_macos")
  [ "$console" -eq 1 ] || cmake_args+=(-DQDT_BUILD_CONSOLE=OFF)
  cmake "${cmake_args[@]}"
fi
say "building in $build"
cmake --build "$build" --target qdt-agent qdtctl --parallel
if [ "$console" -eq 1 ]; then
  cmake --build "$build" --target qdt-console --parallel \
    || die "the console did not build (Qt 6 missing? brew install qt, or --no-console)"
fi

say "staging the agent payload in $agent_root"
cmake --install "$build" --component agent --prefix "$stage/install"
install -m 0755 "$stage/install/bin/qdt-agent" "$stage/install/bin/qdtctl" "$prefix/bin/"
rm -rf "$stage/install"
cp -L "$fio" "$prefix/bin/fio"
chmod 0755 "$prefix/bin/fio"
# smartctl for drive temperatures: bundled, because a root daemon must not
# run a user-writable /opt/homebrew/bin/smartctl (docs/MACOS.md).
cp -L "$smartctl" "$prefix/bin/smartctl"
chmod 0755 "$prefix/bin/smartctl"
# Both are GPL-2: their licence and where their source is go with them.
mkdir -p "$prefix/share/licenses"
install -m 0644 "$here/smartmontools-NOTICE.txt" "$prefix/share/licenses/smartmontools.txt"
install -m 0644 "$here/fio-NOTICE.txt" "$prefix/share/licenses/fio.txt"
install -m 0644 "$here/agent.json" "$prefix/share/agent.json"
install -m 0755 "$here/uninstall.sh" "$prefix/uninstall.sh"
install -m 0755 "$here/acceptance.sh" "$prefix/acceptance.sh"
mkdir -p "$agent_root/Library/LaunchDaemons" "$agent_root/private/etc/paths.d"
install -m 0644 "$here/com.qdt.agent.plist" "$agent_root/Library/LaunchDaemons/com.qdt.agent.plist"
printf '/Library/QDT/bin\n' >"$agent_root/private/etc/paths.d/qdt"
chmod 0644 "$agent_root/private/etc/paths.d/qdt"
install -m 0755 "$here/scripts/preinstall" "$here/scripts/postinstall" "$stage/scripts/"
install -m 0644 "$here/scripts/qdt-common.sh" "$stage/scripts/"

# The Distribution file and the README Installer shows: the version, with or
# without the console, and the testing-only notice of an unsigned build.
title_note=""
notice=""
product="$out/QDT-$version.pkg"
if [ "$unsigned" -eq 1 ]; then
  title_note=" (UNSIGNED, for testing only)"
  notice="UNSIGNED TEST BUILD, FOR TESTING ONLY. Do not hand it to a venue: it is
not signed with a Developer ID nor notarized, so macOS 15 refuses to open it
until someone allows it in System Settings › Privacy & Security › Open Anyway,
and Full Disk Access given to this build does not carry over to a signed one.

"
  product="$out/QDT-$version-unsigned.pkg"
fi
dist_sed=(-e "s/@VERSION@/$version/g" -e "s/@TITLE_NOTE@/$title_note/g" -e "s/@MIN_MACOS@/$min_macos/g")
[ "$console" -eq 1 ] || dist_sed+=(-e '/<!-- console -->/,/<!-- \/console -->/d')
sed "${dist_sed[@]}" "$here/Distribution.xml" >"$stage/Distribution.xml"
mkdir -p "$stage/resources"
NOTICE=$notice VERSION=$version MIN_MACOS=$min_macos awk '{ gsub(/@VERSION@/, ENVIRON["VERSION"]); gsub(/@MIN_MACOS@/, ENVIRON["MIN_MACOS"]); if (sub(/@UNSIGNED_NOTICE@/, "")) printf "%s", ENVIRON["NOTICE"]; print }' \
  "$here/resources/README.txt" >"$stage/resources/README.txt"

if [ "$stage_only" -eq 1 ]; then
  say "staged in $stage (--stage-only: no relocation, signing or pkgbuild)"
  exit 0
fi

# --- 4. Relocatable programs: every library that is not macOS's own is copied
#        into /Library/QDT/lib and found through @rpath = @executable_path/../lib.
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
    rpaths_of "$file" | grep -x '@executable_path/../lib' >/dev/null \
      || install_name_tool -add_rpath "@executable_path/../lib" "$file"
  done
  # Nothing may still need a library outside macOS and the package.
  for file in "$prefix"/bin/* "$prefix"/lib/*; do
    [ -f "$file" ] || continue
    for dep in $(deps_of "$file"); do
      case "$dep" in @rpath/* | @executable_path/* | @loader_path/*) continue ;; esac
      is_system_lib "$dep" || die "$file still needs $dep, which a show Mac does not have"
    done
  done
}

# The oldest macOS a Mach-O runs on: otool -l prints it as "minos X.Y" under
# LC_BUILD_VERSION, or as "version X.Y" under the older LC_VERSION_MIN_MACOSX.
min_os_of() {
  otool -l "$1" | awk '
    /cmd LC_BUILD_VERSION/ { b = 1; next }
    /cmd LC_VERSION_MIN_MACOSX/ { v = 1; next }
    /cmd / { b = 0; v = 0 }
    b && $1 == "minos" { print $2; exit }
    v && $1 == "version" { print $2; exit }'
}

# Every Mach-O file under DIR (lipo(1) -archs names a Mach-O's architectures
# and fails on anything else), each checked to hold arm64 and to run on the
# oldest macOS the package is for.
macho_files() {
  local file archs minos
  while IFS= read -r -d '' file; do
    archs=$(lipo -archs "$file" 2>/dev/null) || continue
    case " $archs " in *" arm64 "*) ;; *) die "$file is built for \"$archs\", not arm64" ;; esac
    minos=$(min_os_of "$file")
    [ -n "$minos" ] || die "$file: otool -l names no minimum macOS (no LC_BUILD_VERSION)"
    if [ "$(os_number "$minos")" -gt "$(os_number "$min_macos")" ]; then
      die "$file needs macOS $minos, but the package is for macOS $min_macos and later: build on macOS $min_macos (Homebrew's libraries are built for the macOS they were installed on), or --min-macos $minos"
    fi
    printf '%s\n' "$file"
  done < <(find "$1" -type f -print0 | sort -z)
}

# codesign(1): --options runtime = the hardened runtime, --timestamp = a secure
# timestamp from Apple, both required for notarization (Apple, "Resolving common
# notarization issues"). Ad hoc signatures (--unsigned) get neither: they have no
# team, so the hardened runtime's library validation would refuse the bundled
# libraries.
codesign_file() {  # FILE [IDENTIFIER] [entitlements]
  local args=(--force --sign "${app_sign:--}")
  [ -n "${2:-}" ] && args+=(--identifier "$2")
  if [ "$unsigned" -eq 0 ]; then
    args+=(--options runtime --timestamp)
    [ "${3:-}" = entitlements ] && args+=(--entitlements "$here/qdt.entitlements")
  fi
  codesign "${args[@]}" "$1"
}

# The agent payload: libraries first, then the programs, each program with the
# identifier the MDM profile's code requirements name (qdt-pppc.mobileconfig).
sign_agent_payload() {
  local file
  while IFS= read -r file; do
    case "$file" in
      "$prefix"/bin/qdt-agent) codesign_file "$file" com.qdt.agent entitlements ;;
      "$prefix"/bin/*) codesign_file "$file" "com.qdt.$(basename "$file")" entitlements ;;
      *) codesign_file "$file" ;;
    esac
  done < <(macho_files "$prefix/lib"; macho_files "$prefix/bin")
  while IFS= read -r file; do
    codesign --verify --strict --verbose=2 "$file"
  done < <(macho_files "$agent_root")
}

# The app from the inside out (Apple, "Creating distribution-signed code for
# macOS": sign nested code before the code that contains it; no --deep):
# loose libraries and plug-ins, then each framework, then the app itself.
sign_app() {
  local app=$1 file fw
  while IFS= read -r file; do
    case "$file" in
      "$app"/Contents/Frameworks/*.framework/* | "$app/Contents/MacOS/"*) continue ;;
    esac
    codesign_file "$file"
  done < <(macho_files "$app/Contents")
  while IFS= read -r -d '' fw; do
    codesign_file "$fw"
  done < <(find "$app/Contents/Frameworks" -maxdepth 1 -name '*.framework' -type d -print0 2>/dev/null | sort -z)
  codesign_file "$app" "" entitlements
  codesign --verify --strict --deep --verbose=2 "$app"
}

say "making the programs relocatable ($prefix/lib)"
relocate
say "signing the agent payload (${app_sign:-ad hoc})"
[ "$unsigned" -eq 1 ] && app_sign="-"
sign_agent_payload
"$prefix/bin/qdt-agent" --help >/dev/null || die "the staged qdt-agent does not run"
"$prefix/bin/fio" --version >/dev/null || die "the staged fio does not run"
"$prefix/bin/smartctl" --version >/dev/null || die "the staged smartctl does not run"

say "pkgbuild qdt-agent.pkg"
pkgbuild --root "$agent_root" --identifier com.qdt.agent --version "$version" \
  --scripts "$stage/scripts" --install-location / "$stage/pkgs/qdt-agent.pkg"

# --- 5. The console: an .app with Qt deployed into it, never relocated by Installer.
if [ "$console" -eq 1 ]; then
  say "staging QDT Console.app"
  mkdir -p "$console_root/Applications"
  cmake --install "$build" --component console --prefix "$console_root/Applications"
  app="$console_root/Applications/QDT Console.app"
  [ -d "$console_root/Applications/qdt-console.app" ] || die "cmake --install made no qdt-console.app (is $build a macOS build?)"
  mv "$console_root/Applications/qdt-console.app" "$app"
  macdeployqt "$app" -always-overwrite
  plutil -replace LSMinimumSystemVersion -string "$min_macos" "$app/Contents/Info.plist"
  sign_app "$app"
  pkgbuild --analyze --root "$console_root" "$stage/console-components.plist"
  plutil -replace 0.BundleIsRelocatable -bool NO "$stage/console-components.plist"
  pkgbuild --root "$console_root" --component-plist "$stage/console-components.plist" \
    --identifier com.qdt.console --version "$version" --install-location / \
    "$stage/pkgs/qdt-console.pkg"
fi

# --- 6. The product archive, notarized and checked. ----------------------------
mkdir -p "$out"
rm -f "$product"
productbuild_args=(--distribution "$stage/Distribution.xml" --resources "$stage/resources" --package-path "$stage/pkgs")
[ "$unsigned" -eq 1 ] || productbuild_args+=(--sign "$sign" --timestamp)
productbuild "${productbuild_args[@]}" "$product"

if [ -n "$notarize" ]; then
  # notarytool(1): submit --wait blocks until Apple has an answer; with
  # --output-format json it prints {"id": ..., "status": "Accepted" | "Invalid" | ...},
  # read with plutil(1) -extract KEY raw (macOS 12+; plutil reads JSON too).
  say "notarizing $product (xcrun notarytool, profile $notarize)"
  submission="$out/notary-submission.json"
  xcrun notarytool submit "$product" --keychain-profile "$notarize" --wait --output-format json >"$submission" \
    || { rm -f "$product"; die "notarytool submit failed (see above; its answer: $submission); $product was removed"; }
  status=$(plutil -extract status raw -o - "$submission" 2>/dev/null || true)
  id=$(plutil -extract id raw -o - "$submission" 2>/dev/null || true)
  if [ "$status" != Accepted ]; then
    if [ -n "$id" ]; then
      xcrun notarytool log "$id" --keychain-profile "$notarize" "$out/notary-log.json" || true
    fi
    rm -f "$product"
    die "notarization of $product: status \"${status:-none}\" (submission ${id:-unknown}); Apple's log: $out/notary-log.json. The .pkg was removed: an unnotarized pkg must not go out."
  fi
  say "notarized (submission $id); stapling the ticket"
  xcrun stapler staple "$product"
  xcrun stapler validate "$product"
fi

pkgutil --check-signature "$product" || [ "$unsigned" -eq 1 ] || die "pkgutil --check-signature refused $product"
if [ "$unsigned" -eq 0 ]; then
  # spctl(8) -a -t install: would Gatekeeper let Installer open this pkg?
  spctl -a -vv -t install "$product" || {
    [ -n "$notarize" ] && die "Gatekeeper (spctl -a -t install) refuses $product"
    say "Gatekeeper refuses $product until it is notarized (--notarize PROFILE)"
  }
  sed "s/@TEAM_ID@/$team/g" "$here/qdt-pppc.mobileconfig" >"$out/qdt-pppc.mobileconfig"
  say "the MDM profile for team $team: $out/qdt-pppc.mobileconfig"
fi
say "built $product"
if [ "$unsigned" -eq 1 ]; then
  say "UNSIGNED: for testing only; a venue needs --app-sign, --sign and --notarize"
elif [ -z "$notarize" ]; then
  say "signed, NOT notarized: a downloaded copy is refused by Gatekeeper; add --notarize PROFILE"
fi
