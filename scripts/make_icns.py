#!/usr/bin/env python3
"""Renders the console's icon (console/resources/qdt-icon.svg) to PNGs and packs
them into the Apple icon file the .app carries (console/resources/qdt.icns).

usage: make_icns.py [--svg FILE] [--out-dir DIR] [--check]

Writes DIR/qdt-{16,32,64,128,256,512,1024}.png and DIR/qdt.icns (DIR defaults to
console/resources next to this script). --check writes nothing: it renders again
and exits 1 when the pixels of a PNG in DIR, or the .icns' entries, differ from a
fresh render (the committed files are stale: run without --check).

python3 standard library only (no Qt Svg, no rsvg on the build machines), so the
renderer understands a small subset of SVG, enough for a flat icon, and refuses
anything else with the element and attribute it does not know:
  <rect x y width height [rx]>, <circle cx cy r>, each with fill and/or
  stroke + stroke-width; paint is "#rrggbb", "none" or "url(#id)" of a
  <linearGradient x1="0" y1="0" x2="0" y2="1"> (vertical, over the shape's box)
  with <stop offset stop-color>. Edges are anti-aliased from each shape's signed
  distance. The output is a function of the SVG alone: same SVG, same pixels.

The .icns format (no Apple document specifies it; Apple's own tool is iconutil(1)):
a header of the magic "icns" and the file's length (4 bytes, big-endian), then
entries of a 4-byte OSType, a big-endian length that counts the 8-byte entry
header, and the data. The types used here hold PNG data: icp4 16 px, icp5 32 px,
ic11 32 px (16 pt @2x), ic12 64 px (32 pt @2x), ic07 128 px, ic13 256 px
(128 pt @2x), ic08 256 px, ic14 512 px (256 pt @2x), ic09 512 px, ic10 1024 px
(512 pt @2x). Source: the "Apple Icon Image format" article (Wikipedia), "File
structure" and "Icon types" tables.
"""
import argparse
import math
import os
import struct
import sys
import xml.etree.ElementTree as ET
import zlib

SVG_NS = "{http://www.w3.org/2000/svg}"
SIZES = (16, 32, 64, 128, 256, 512, 1024)
# (OSType, pixel size), in the order written. Also read by tests/deploy/check_console_bundle.py.
ICNS_TYPES = (
    ("icp4", 16), ("icp5", 32), ("ic11", 32), ("ic12", 64), ("ic07", 128),
    ("ic13", 256), ("ic08", 256), ("ic14", 512), ("ic09", 512), ("ic10", 1024),
)
MAX_CANVAS = 4096  # the SVG's width/height/viewBox, in user units


class SvgError(Exception):
    pass


# ---------------------------------------------------------------- SVG subset


def _number(el, name, default=None, low=-MAX_CANVAS, high=MAX_CANVAS):
    raw = el.get(name)
    if raw is None:
        if default is None:
            raise SvgError(f"<{_tag(el)}>: missing attribute {name}")
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SvgError(f"<{_tag(el)}> {name}=\"{raw}\": not a plain number (no units)") from None
    if not (low <= value <= high) or math.isnan(value):
        raise SvgError(f"<{_tag(el)}> {name}=\"{raw}\": outside [{low:g}, {high:g}]")
    return value


def _tag(el):
    return el.tag[len(SVG_NS):] if el.tag.startswith(SVG_NS) else el.tag


def _color(text, where):
    if len(text) == 7 and text[0] == "#":
        try:
            return tuple(int(text[i:i + 2], 16) / 255.0 for i in (1, 3, 5))
        except ValueError:
            pass
    raise SvgError(f"{where}: colour \"{text}\" is not #rrggbb")


class Gradient:
    """A vertical linear gradient over the painted shape's bounding box."""

    def __init__(self, el):
        for name, want in (("x1", 0), ("y1", 0), ("x2", 0), ("y2", 1)):
            if _number(el, name, float(want)) != want:
                raise SvgError(f"<linearGradient id=\"{el.get('id')}\">: only x1=0 y1=0 x2=0 y2=1 "
                               f"(vertical) is supported, {name}=\"{el.get(name)}\"")
        self.stops = []
        for stop in el:
            if _tag(stop) != "stop":
                raise SvgError(f"<linearGradient id=\"{el.get('id')}\">: unexpected <{_tag(stop)}>")
            offset = _number(stop, "offset", low=0, high=1)
            if self.stops and offset < self.stops[-1][0]:
                raise SvgError(f"<linearGradient id=\"{el.get('id')}\">: stop offsets decrease")
            self.stops.append((offset, _color(stop.get("stop-color", ""), "<stop> stop-color")))
        if len(self.stops) < 2:
            raise SvgError(f"<linearGradient id=\"{el.get('id')}\">: needs two stops or more")

    def at(self, t):
        stops = self.stops
        if t <= stops[0][0]:
            return stops[0][1]
        for (o0, c0), (o1, c1) in zip(stops, stops[1:]):
            if t <= o1:
                f = 0.0 if o1 == o0 else (t - o0) / (o1 - o0)
                return tuple(a + (b - a) * f for a, b in zip(c0, c1))
        return stops[-1][1]


class Shape:
    """A rounded rectangle (a circle is one with rx = half its width): centre,
    half extents, corner radius, fill and stroke paint (None, a colour or a Gradient)."""

    def __init__(self, cx, cy, hx, hy, r, fill, stroke, stroke_width):
        self.cx, self.cy, self.hx, self.hy = cx, cy, hx, hy
        self.r = min(r, hx, hy)
        self.fill, self.stroke, self.stroke_width = fill, stroke, stroke_width

    def distance(self, x, y):
        """Signed distance from (x, y) to the outline: negative inside."""
        qx = abs(x - self.cx) - self.hx + self.r
        qy = abs(y - self.cy) - self.hy + self.r
        return (math.hypot(max(qx, 0.0), max(qy, 0.0)) + min(max(qx, qy), 0.0) - self.r)

    def row_extent(self, y, inset):
        """The x interval, on the line y, of the points whose distance is <= -inset
        (inset < 0: the shape grown by -inset), or None."""
        hx, hy, r = self.hx - inset, self.hy - inset, max(self.r - inset, 0.0)
        if hx < 0 or hy < 0:
            return None
        dy = abs(y - self.cy)
        if dy > hy:
            return None
        half = hx
        if dy > hy - r:
            k = dy - (hy - r)
            half = hx - r + math.sqrt(max(r * r - k * k, 0.0))
        return (self.cx - half, self.cx + half)

    def paint_at(self, paint, y):
        if isinstance(paint, Gradient):
            top = self.cy - self.hy
            return paint.at(min(max((y - top) / (2 * self.hy), 0.0), 1.0))
        return paint


def parse_svg(path):
    """The SVG's canvas size (it must be square) and its shapes, in paint order."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        raise SvgError(f"{path}: {e}") from None
    if _tag(root) != "svg":
        raise SvgError(f"{path}: the root element is <{_tag(root)}>, not <svg>")
    view = (root.get("viewBox") or "").split()
    if len(view) != 4 or view[:2] != ["0", "0"] or view[2] != view[3]:
        raise SvgError(f"{path}: viewBox=\"{root.get('viewBox')}\": must be \"0 0 N N\"")
    try:
        canvas = float(view[2])
    except ValueError:
        canvas = -1.0
    if not 1 <= canvas <= MAX_CANVAS:
        raise SvgError(f"{path}: viewBox=\"{root.get('viewBox')}\": size outside [1, {MAX_CANVAS}]")
    gradients = {}
    for defs in root.iter(SVG_NS + "defs"):
        for g in defs:
            if _tag(g) != "linearGradient" or not g.get("id"):
                raise SvgError(f"<defs>: only <linearGradient id=...>, not <{_tag(g)}>")
            gradients[g.get("id")] = Gradient(g)

    def paint(el, name):
        text = el.get(name)
        if text is None:
            return (0.0, 0.0, 0.0) if name == "fill" else None  # SVG's defaults
        if text == "none":
            return None
        if text.startswith("url(#") and text.endswith(")"):
            if text[5:-1] not in gradients:
                raise SvgError(f"<{_tag(el)}> {name}=\"{text}\": no such gradient")
            return gradients[text[5:-1]]
        return _color(text, f"<{_tag(el)}> {name}")

    shapes = []
    for el in root:
        tag = _tag(el)
        if tag == "defs" or el.tag is ET.Comment:
            continue
        for name in el.keys():
            if name not in ("x", "y", "width", "height", "rx", "cx", "cy", "r", "fill", "stroke",
                            "stroke-width"):
                raise SvgError(f"<{tag}>: attribute {name} is not supported")
        stroke_width = _number(el, "stroke-width", 1.0, low=0, high=MAX_CANVAS)
        if tag == "rect":
            w = _number(el, "width", low=0)
            h = _number(el, "height", low=0)
            x, y = _number(el, "x", 0.0), _number(el, "y", 0.0)
            shape = Shape(x + w / 2, y + h / 2, w / 2, h / 2, _number(el, "rx", 0.0, low=0),
                          paint(el, "fill"), paint(el, "stroke"), stroke_width)
        elif tag == "circle":
            r = _number(el, "r", low=0)
            shape = Shape(_number(el, "cx"), _number(el, "cy"), r, r, r, paint(el, "fill"),
                          paint(el, "stroke"), stroke_width)
        else:
            raise SvgError(f"{path}: <{tag}> is not supported (rect, circle, defs only)")
        shapes.append(shape)
    if not shapes:
        raise SvgError(f"{path}: no shapes")
    return canvas, shapes


# ---------------------------------------------------------------- rendering


def render(canvas, shapes, size):
    """RGBA bytes, size x size, straight (not premultiplied) alpha."""
    scale = size / canvas
    px = 1.0 / scale  # one pixel, in user units
    rows = [[0.0] * (4 * size) for _ in range(size)]  # premultiplied

    def first_last(extent):
        # Pixels whose centres (i + 0.5) * px lie in the extent.
        lo = max(math.ceil(extent[0] * scale - 0.5), 0)
        hi = min(math.floor(extent[1] * scale - 0.5), size - 1)
        return lo, hi

    def blend(row, i, color, coverage):
        if coverage <= 0.0:
            return
        if coverage > 1.0:
            coverage = 1.0
        k = 1.0 - coverage
        j = 4 * i
        row[j] = color[0] * coverage + row[j] * k
        row[j + 1] = color[1] * coverage + row[j + 1] * k
        row[j + 2] = color[2] * coverage + row[j + 2] * k
        row[j + 3] = coverage + row[j + 3] * k

    for shape in shapes:
        for paint, is_stroke in ((shape.fill, False), (shape.stroke, True)):
            if paint is None:
                continue
            half = shape.stroke_width / 2 if is_stroke else 0.0
            width_px = shape.stroke_width * scale
            for j in range(size):
                y = (j + 0.5) * px
                outer = shape.row_extent(y, -(half + px))
                if outer is None:
                    continue
                color = shape.paint_at(paint, y)
                row = rows[j]
                lo, hi = first_last(outer)
                inner = shape.row_extent(y, half + px)
                ilo, ihi = first_last(inner) if inner else (hi + 1, hi)
                if not is_stroke and ilo <= ihi:  # wholly covered: the colour itself
                    row[4 * ilo:4 * (ihi + 1)] = [color[0], color[1], color[2], 1.0] * (ihi + 1 - ilo)
                for i in range(lo, hi + 1):
                    if ilo <= i <= ihi:
                        continue
                    d = shape.distance((i + 0.5) * px, y)
                    if is_stroke:
                        cover = min(0.5 - (abs(d) - half) * scale, width_px)
                    else:
                        cover = 0.5 - d * scale
                    blend(row, i, color, cover)

    out = bytearray(4 * size * size)
    o = 0
    for row in rows:
        for i in range(0, 4 * size, 4):
            a = row[i + 3]
            if a > 0.0:
                out[o] = min(int(row[i] / a * 255 + 0.5), 255)
                out[o + 1] = min(int(row[i + 1] / a * 255 + 0.5), 255)
                out[o + 2] = min(int(row[i + 2] / a * 255 + 0.5), 255)
                out[o + 3] = min(int(a * 255 + 0.5), 255)
            o += 4
    return bytes(out)


# ---------------------------------------------------------------- PNG and .icns


def _chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def encode_png(rgba, size):
    raw = b"".join(b"\x00" + rgba[4 * size * j:4 * size * (j + 1)] for j in range(size))
    return (b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b""))


def png_scanlines(data, where):
    """The decompressed image data of a PNG (filter bytes included), for --check."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SvgError(f"{where}: not a PNG")
    pos, idat = 8, b""
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    try:
        return zlib.decompress(idat)
    except zlib.error as e:
        raise SvgError(f"{where}: {e}") from None


def pack_icns(pngs):
    body = b"".join(kind.encode() + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
                    for kind, size in ICNS_TYPES)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    resources = os.path.normpath(os.path.join(here, "..", "console", "resources"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--svg", default=os.path.join(resources, "qdt-icon.svg"))
    ap.add_argument("--out-dir", default=resources)
    ap.add_argument("--check", action="store_true",
                    help="compare the files in --out-dir with a fresh render; write nothing")
    args = ap.parse_args()
    try:
        canvas, shapes = parse_svg(args.svg)
        pngs = {size: encode_png(render(canvas, shapes, size), size) for size in SIZES}
        icns = pack_icns(pngs)
        if args.check:
            stale = []
            for size in SIZES:
                path = os.path.join(args.out_dir, f"qdt-{size}.png")
                with open(path, "rb") as f:
                    if png_scanlines(f.read(), path) != png_scanlines(pngs[size], "render"):
                        stale.append(path)
            path = os.path.join(args.out_dir, "qdt.icns")
            with open(path, "rb") as f:
                old = f.read()
            pos = 8
            for kind, size in ICNS_TYPES:
                length = struct.unpack(">I", old[pos + 4:pos + 8])[0] if pos + 8 <= len(old) else 8
                entry = old[pos + 8:pos + length]
                if old[pos:pos + 4] != kind.encode() or \
                        png_scanlines(entry, f"{path} {kind}") != png_scanlines(pngs[size], "render"):
                    stale.append(f"{path} ({kind})")
                pos += length
            if stale:
                print("make_icns.py: stale, run scripts/make_icns.py: " + ", ".join(stale),
                      file=sys.stderr)
                return 1
            print(f"make_icns.py: {len(SIZES)} PNGs and qdt.icns match {args.svg}")
            return 0
        os.makedirs(args.out_dir, exist_ok=True)
        for size in SIZES:
            with open(os.path.join(args.out_dir, f"qdt-{size}.png"), "wb") as f:
                f.write(pngs[size])
        with open(os.path.join(args.out_dir, "qdt.icns"), "wb") as f:
            f.write(icns)
        print(f"make_icns.py: wrote {len(SIZES)} PNGs and qdt.icns ({len(icns)} bytes) "
              f"to {args.out_dir}")
        return 0
    except (SvgError, OSError) as e:
        print(f"make_icns.py: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
