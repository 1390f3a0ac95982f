#!/usr/bin/env python3
"""Checks the console .app's parts without a Mac: the configured Info.plist
(console/macos/Info.plist.in) and the icon file (console/resources/qdt.icns).

usage:
  check_console_bundle.py check  ARGS   exit 0 all good, 1 with every problem found
  check_console_bundle.py reject DAMAGE ARGS
      copies --icns into a temporary folder, damages the copy (truncate: cut in the
      middle of the last entry; corrupt: one byte of an entry's image data flipped;
      resize: an entry's PNG made one pixel wider, its checksum kept right), runs
      `check` on it and exits 0 only when that fails naming the damaged entry.
ARGS: --plist FILE --icns FILE --resources DIR --version X.Y.Z --source-root DIR

The .icns layout (no Apple document specifies it): "icns", the file's length
(big-endian, 4 bytes), then entries of a 4-byte type, a big-endian length that
counts the entry's 8-byte header, and the data; the types below hold a PNG of the
given size. Source: the "Apple Icon Image format" article (Wikipedia), "File
structure" and "Icon types". PNG: the PNG specification (W3C, 2nd ed.), 5.2-5.3
(signature, chunk layout, CRC) and 11.2.2 (IHDR)."""
import argparse
import os
import plistlib
import re
import struct
import subprocess
import sys
import tempfile
import zlib

# PNG-holding icon types and their pixel size (Wikipedia's table; kept apart from
# scripts/make_icns.py's on purpose: one table's mistake must not hide in both).
PNG_TYPES = {"icp4": 16, "icp5": 32, "icp6": 64, "ic07": 128, "ic08": 256, "ic09": 512,
             "ic10": 1024, "ic11": 32, "ic12": 64, "ic13": 256, "ic14": 512}
REQUIRED_SIZES = (16, 32, 64, 128, 256, 512, 1024)
MAX_ICNS_BYTES = 16 << 20
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def check_png(data, kind, want):
    """Problems of one entry's PNG: signature, chunk CRCs, IHDR (size, RGBA 8 bit),
    image data that inflates to exactly the rows IHDR promises."""
    where = f"entry {kind}"
    if data[:8] != PNG_SIGNATURE:
        return [f"{where}: not a PNG (starts {data[:8].hex()})"]
    pos, chunks, idat = 8, [], b""
    while pos < len(data):
        if pos + 12 > len(data):
            return [f"{where}: PNG chunk header at byte {pos} cut short"]
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        if pos + 12 + length > len(data):
            return [f"{where}: PNG chunk {ctype!r} at byte {pos}: length {length} runs past the entry"]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(ctype + body) & 0xFFFFFFFF != crc:
            return [f"{where}: PNG chunk {ctype.decode('latin-1')} at byte {pos}: CRC mismatch"]
        chunks.append(ctype)
        if ctype == b"IHDR":
            ihdr = body
        elif ctype == b"IDAT":
            idat += body
        pos += 12 + length
    if not chunks or chunks[0] != b"IHDR" or len(ihdr) != 13:
        return [f"{where}: PNG does not start with a 13-byte IHDR"]
    if chunks[-1] != b"IEND" or b"IDAT" not in chunks:
        return [f"{where}: PNG has no IDAT or does not end with IEND"]
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", ihdr)
    problems = []
    if (width, height) != (want, want):
        problems.append(f"{where}: PNG is {width}x{height}, the type {kind} holds {want}x{want}")
    if (depth, color, interlace) != (8, 6, 0):
        problems.append(f"{where}: PNG bit depth {depth}, colour type {color}, interlace "
                        f"{interlace}: want 8-bit RGBA (6), not interlaced")
    if problems:
        return problems
    try:
        raw = zlib.decompress(idat)
    except zlib.error as e:
        return [f"{where}: PNG image data does not inflate: {e}"]
    if len(raw) != height * (1 + 4 * width):
        problems.append(f"{where}: PNG image data is {len(raw)} bytes, IHDR wants "
                        f"{height * (1 + 4 * width)}")
    return problems


def check_icns(path):
    problems = []
    with open(path, "rb") as f:
        data = f.read(MAX_ICNS_BYTES + 1)
    if len(data) > MAX_ICNS_BYTES:
        return [f"{path}: more than {MAX_ICNS_BYTES} bytes"]
    if len(data) < 8 or data[:4] != b"icns":
        return [f"{path}: no \"icns\" header (starts {data[:8].hex()})"]
    (total,) = struct.unpack(">I", data[4:8])
    if total != len(data):
        problems.append(f"{path}: header length {total}, file is {len(data)} bytes")
    pos, sizes, seen = 8, set(), set()
    while pos < len(data):
        if pos + 8 > len(data):
            problems.append(f"{path}: {len(data) - pos} stray bytes after the last entry")
            break
        kind = data[pos:pos + 4].decode("latin-1")
        (length,) = struct.unpack(">I", data[pos + 4:pos + 8])
        where = f"entry {kind} at byte {pos}"
        if length < 8:
            problems.append(f"{where}: length {length} is less than its own 8-byte header")
            break
        if pos + length > len(data):
            problems.append(f"{where}: length {length} runs past the end of the file "
                            f"({len(data)} bytes)")
            break
        if kind not in PNG_TYPES:
            problems.append(f"{where}: type {kind!r} is not one of {sorted(PNG_TYPES)}")
        elif kind in seen:
            problems.append(f"{where}: a second {kind}")
        else:
            seen.add(kind)
            entry_problems = check_png(data[pos + 8:pos + length], kind, PNG_TYPES[kind])
            problems += [f"{path}: {p}" for p in entry_problems]
            if not entry_problems:
                sizes.add(PNG_TYPES[kind])
        pos += length
    missing = [s for s in REQUIRED_SIZES if s not in sizes]
    if missing:
        problems.append(f"{path}: no good entry of {missing} px")
    return problems


def service_type(source_root):
    """The DNS-SD type the agent announces and the console browses (kServiceType in
    both sources): they must agree."""
    found = {}
    for rel in ("agent/discovery.h", "console/app/discovery.cc"):
        with open(os.path.join(source_root, rel)) as f:
            m = re.search(r'kServiceType\[\]\s*=\s*"([^"]*)"', f.read())
        found[rel] = m.group(1) if m else None
    values = set(found.values())
    if len(values) != 1 or None in values:
        raise SystemExit(f"check_console_bundle.py: kServiceType differs or is missing: {found}")
    return values.pop()


def check_plist(args):
    problems = []
    with open(args.plist, "rb") as f:
        plist = plistlib.load(f)  # raises on anything that is not a plist
    want = {
        "CFBundleIdentifier": "com.qdt.console",
        "CFBundleName": "QDT Console",
        "CFBundleDisplayName": "QDT Console",
        "CFBundleExecutable": "qdt-console",
        "CFBundlePackageType": "APPL",
        "CFBundleShortVersionString": args.version,
        "CFBundleVersion": args.version,
        "CFBundleIconFile": "qdt",
        "LSMinimumSystemVersion": "14.0",
        "NSPrincipalClass": "NSApplication",
        "LSApplicationCategoryType": "public.app-category.utilities",
    }
    for key, value in want.items():
        if plist.get(key) != value:
            problems.append(f"{args.plist}: {key} is {plist.get(key)!r}, want {value!r}")
    if plist.get("NSHighResolutionCapable") is not True:
        problems.append(f"{args.plist}: NSHighResolutionCapable is "
                        f"{plist.get('NSHighResolutionCapable')!r}, want the boolean true")
    for key, low, high in (("NSHumanReadableCopyright", 5, 200),
                           ("NSLocalNetworkUsageDescription", 30, 300)):
        text = plist.get(key)
        if not isinstance(text, str) or not low <= len(text.strip()) <= high:
            problems.append(f"{args.plist}: {key} is {text!r}: want a text of {low} to {high} "
                            "characters")
    services = plist.get("NSBonjourServices")
    browsed = service_type(args.source_root)
    if not isinstance(services, list) or browsed not in services:
        problems.append(f"{args.plist}: NSBonjourServices is {services!r}: must list {browsed!r}, "
                        "the type the console browses (local network privacy refuses others)")
    else:
        for s in services:
            if not isinstance(s, str) or not re.fullmatch(r"_[a-z0-9-]{1,15}\._(tcp|udp)", s):
                problems.append(f"{args.plist}: NSBonjourServices entry {s!r} is not _name._tcp")
    for key, value in plist.items():
        if isinstance(value, str) and re.search(r"@[A-Za-z_]+@|\$\{", value):
            problems.append(f"{args.plist}: {key} holds an unconfigured variable: {value!r}")
    icon = plist.get("CFBundleIconFile")
    if isinstance(icon, str):
        # CFBundleIconFile may omit the extension; the file is then name.icns.
        name = icon if icon.endswith(".icns") else icon + ".icns"
        if os.sep in name or not os.path.isfile(os.path.join(args.resources, name)):
            problems.append(f"{args.plist}: CFBundleIconFile {icon!r}: no {name} in "
                            f"{args.resources}")
    # The agent's launchd plist names the console as its associated bundle, when it does.
    launchd = os.path.join(args.source_root, "deploy/macos/com.qdt.agent.plist")
    if os.path.isfile(launchd):
        with open(launchd, "rb") as f:
            associated = plistlib.load(f).get("AssociatedBundleIdentifiers")
        if associated is not None:
            ids = [associated] if isinstance(associated, str) else associated
            if plist.get("CFBundleIdentifier") not in ids:
                problems.append(f"{launchd}: AssociatedBundleIdentifiers {associated!r} does not "
                                f"name the console's CFBundleIdentifier "
                                f"{plist.get('CFBundleIdentifier')!r}")
    return problems


def entries(data):
    """(type, offset, length) of a good .icns' entries."""
    pos, out = 8, []
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos + 4:pos + 8])
        out.append((data[pos:pos + 4].decode("latin-1"), pos, length))
        pos += length
    return out


def damage(data, how):
    """The damaged bytes and the type of the entry damaged."""
    found = entries(data)
    if len(found) < 3:
        raise SystemExit(f"check_console_bundle.py: the .icns has {len(found)} entries, "
                         "too few to damage one")
    if how == "truncate":
        kind, pos, length = found[-1]
        return data[:pos + length // 2], kind
    kind, pos, length = found[len(found) // 2]
    png = bytearray(data[pos + 8:pos + length])
    if how == "corrupt":
        idat = png.find(b"IDAT")
        png[idat + 4 + 20] ^= 0x5A  # a byte of the compressed image data
    else:  # resize: width + 1, with the IHDR CRC recomputed
        width = struct.unpack(">I", png[16:20])[0]
        png[16:20] = struct.pack(">I", width + 1)
        png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])) & 0xFFFFFFFF)
    return data[:pos + 8] + bytes(png) + data[pos + length:], kind


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("check", "reject"))
    ap.add_argument("damage", nargs="?", choices=("truncate", "corrupt", "resize"))
    for name in ("--plist", "--icns", "--resources", "--version", "--source-root"):
        ap.add_argument(name, required=True)
    args = ap.parse_args()
    if not re.fullmatch(r"(0|[1-9][0-9]{0,3})(\.(0|[1-9][0-9]{0,3})){0,2}", args.version):
        print(f"check_console_bundle.py: --version {args.version!r}: want up to three "
              "dot-separated numbers (CFBundleVersion's form)", file=sys.stderr)
        return 2
    if args.mode == "check":
        if args.damage:
            ap.error("check takes no damage")
        problems = check_plist(args) + check_icns(args.icns)
        for p in problems:
            print(p, file=sys.stderr)
        if problems:
            return 1
        print(f"check_console_bundle.py: Info.plist (version {args.version}) and "
              f"{os.path.basename(args.icns)} are good")
        return 0
    if not args.damage:
        ap.error("reject needs truncate, corrupt or resize")
    with open(args.icns, "rb") as f:
        bad, kind = damage(f.read(), args.damage)
    with tempfile.TemporaryDirectory(prefix="qdt-icns-") as tmp:
        copy = os.path.join(tmp, "qdt.icns")
        with open(copy, "wb") as f:
            f.write(bad)
        cmd = [sys.executable, os.path.abspath(__file__), "check", "--plist", args.plist,
               "--icns", copy, "--resources", args.resources, "--version", args.version,
               "--source-root", args.source_root]
        run = subprocess.run(cmd, capture_output=True, text=True, check=False)
    named = f"entry {kind}" in run.stderr
    print(f"{args.damage} {kind}: exit {run.returncode}\n{run.stderr}", end="")
    if run.returncode != 1 or not named:
        print(f"check_console_bundle.py: the {args.damage}d copy was not rejected naming "
              f"entry {kind}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
