"""Helpers of the report's process-level tests (report_cli_test.py,
report_browser_test.py): the two-drive store, qdt-console without a display,
and pictures read without PIL or ImageMagick (PNG and PGM decoded here, PDF
pages through poppler's pdftoppm / pdftotext)."""
import json
import os
import re
import struct
import subprocess
import tempfile
import unicodedata
import zlib
from html.parser import HTMLParser

# The PDF's margins (console/app/report.cc, kMarginMm): 15 mm = 42.5 pt.
MARGIN_PT = 15 / 25.4 * 72


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def no_display_env(tmp):
    """The environment of a FOH box with no display at all."""
    env = dict(os.environ)
    for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(k, None)
    env["TZ"] = "Europe/Berlin"  # the store's rig test began at 21:00 there
    runtime = os.path.join(tmp, "runtime")
    os.makedirs(runtime, mode=0o700, exist_ok=True)
    env["XDG_RUNTIME_DIR"] = runtime
    return env


def run(args, env, timeout=180):
    p = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def write_store(build, state_dir, time_scale=1):
    """The two-drive store (tests/console/report_test.cc --write-store) and
    the facts the report must show, as the verdict engine computed them."""
    os.makedirs(state_dir, exist_ok=True)
    rc, out, err = run([os.path.join(build, "tests", "report_test"), "--write-store", state_dir,
                        str(time_scale)], env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    check(rc == 0, f"report_test --write-store: rc {rc}: {err}")
    return json.loads(out.strip().splitlines()[-1])


def report(build, env, state_dir, path, *extra):
    return run([os.path.join(build, "console", "qdt-console"), "--report", path, "--state-dir",
                state_dir, *extra], env)


def normalise(text):
    """pdftotext writes ligatures ("ﬁ") as one glyph: back to letters."""
    return unicodedata.normalize("NFKC", text)


def pdf_pages(pdf):
    out = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))
    w, h = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", out, re.M).groups()
    return pages, float(w), float(h)


def pdf_text(pdf, page=None, layout=True):
    args = ["pdftotext"] + (["-layout"] if layout else [])
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    return normalise(subprocess.run(args + [pdf, "-"], capture_output=True, text=True,
                                    check=True).stdout)


def pdf_words(pdf):
    """Every word of the PDF with its box: (page, width, height, [(x0, y0, x1, y1, word)])."""
    out = subprocess.run(["pdftotext", "-bbox", pdf, "-"], capture_output=True, text=True,
                         check=True).stdout
    pages = []
    for m in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, re.S):
        words = [(float(a), float(b), float(c), float(d), normalise(w)) for a, b, c, d, w in
                 re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                            r'yMax="([\d.]+)">(.*?)</word>', m.group(3))]
        pages.append((float(m.group(1)), float(m.group(2)), words))
    return pages


def read_pgm(path):
    """A binary PGM (P5, 8-bit) as (width, height, bytes)."""
    with open(path, "rb") as f:
        data = f.read()
    m = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    check(m is not None and int(m.group(3)) == 255, f"{path}: not an 8-bit PGM")
    w, h = int(m.group(1)), int(m.group(2))
    return w, h, data[m.end():m.end() + w * h]


def render_gray(pdf, page, dpi, out_base):
    subprocess.run(["pdftoppm", "-gray", "-r", str(dpi), "-f", str(page), "-l", str(page),
                    "-singlefile", pdf, out_base], check=True)
    return read_pgm(out_base + ".pgm")


def save_png(pdf, page, dpi, out_base):
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page),
                    "-singlefile", pdf, out_base], check=True)
    return out_base + ".png"


def margin_ink(gray, dpi, strip_mm):
    """Dark pixels in the outer strips of a page: {side: count}. A strip is
    `strip_mm` wide; "dark" is under 200 of 255 (anti-aliased ink)."""
    w, h, px = gray
    s = int(strip_mm / 25.4 * dpi)
    ink = {"left": 0, "right": 0, "top": 0, "bottom": 0}
    for y in range(h):
        row = px[y * w:(y + 1) * w]
        if y < s or y >= h - s:
            n = sum(1 for v in row if v < 200)
            ink["top" if y < s else "bottom"] += n
        ink["left"] += sum(1 for v in row[:s] if v < 200)
        ink["right"] += sum(1 for v in row[w - s:] if v < 200)
    return ink


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def read_png(data):
    """An 8-bit grey, RGB or RGBA PNG (not interlaced) as (width, height,
    channels, bytes)."""
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG")
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    w, h, depth, ctype, _, _, interlace = ihdr
    channels = {0: 1, 2: 3, 6: 4}.get(ctype)
    check(depth == 8 and channels and interlace == 0, f"PNG kind {depth}/{ctype}/{interlace}")
    raw = zlib.decompress(idat)
    stride = w * channels
    out = bytearray(h * stride)
    prev = bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                upleft = prev[i - channels] if i >= channels else 0
                line[i] = (line[i] + _paeth(left, prev[i], upleft)) & 255
        out[y * stride:(y + 1) * stride] = line
        prev = line
    return w, h, channels, bytes(out)


def pixel(img, x, y):
    w, h, c, px = img
    i = (y * w + x) * c
    return tuple(px[i:i + 3]) if c >= 3 else (px[i],) * 3


def non_white_columns(img, threshold=235):
    """The leftmost and rightmost column with any pixel darker than `threshold`."""
    w, h, c, px = img
    lo, hi = w, -1
    for y in range(h):
        for x in range(0, w):
            if min(pixel(img, x, y)) < threshold:
                lo = min(lo, x)
                break
        for x in range(w - 1, -1, -1):
            if min(pixel(img, x, y)) < threshold:
                hi = max(hi, x)
                break
    return lo, hi


def chart_ink(img, red_min=230, red_others_max=60):
    """Pixels of the charts' own line colours: the 2100 MB/s crossfade line
    (pure red) and the blues of the first drive's line (Qt Charts' first
    series, #1f77b4, and the run chart's fio line, #143ca0). Nothing else in
    the report is drawn in them. A JPEG'd chart (the PDF's) needs a looser
    red."""
    w, h, c, px = img
    red = blue = 0
    for i in range(0, len(px), c):
        r, g, b = px[i], px[i + 1], px[i + 2]
        if r > red_min and g < red_others_max and b < red_others_max:
            red += 1
        elif b > 130 and b - r > 60 and b - g > 30:
            blue += 1
    return red, blue


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "title", "script"):
            self.skip += 1
        if tag in ("br", "p", "td", "th", "h1", "h2", "h3", "tr"):
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in ("style", "title", "script"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_text(html):
    p = _Text()
    p.feed(html)
    return " ".join("".join(p.parts).split())


def html_images(html):
    """The charts embedded in the HTML, decoded."""
    import base64
    return [read_png(base64.b64decode(m)) for m in
            re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)]


def tmpdir():
    return tempfile.TemporaryDirectory(prefix="qdt-report-")
