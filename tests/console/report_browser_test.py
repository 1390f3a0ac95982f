#!/usr/bin/env python3
"""The HTML report in a real browser: headless Chromium (Debian's, as root
without its sandbox, no network, a fresh profile) opens the file that
`qdt-console --report out.html` wrote with no display, and

- a 1440 px wide screenshot shows nothing cut off (the content's columns lie
  inside the window, its right strip is blank) and the charts drawn (their
  own line colours on screen);
- printed to PDF (the report's @page: A4) every page fits (words inside the
  page, the outer strips blank), each drive on its own page, and the rig
  chart is on the first page.

Pictures for people: BUILD/screenshots/report-html-1440.png and
report-html-a4-page1.png. Exit 77 (skipped) only when Chromium is missing.

    report_browser_test.py BUILD_DIR
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report_pictures import (Fail, chart_ink, check, margin_ink, no_display_env,  # noqa: E402
                             non_white_columns, pdf_pages, pdf_text, pdf_words, read_png,
                             render_gray, report, run, save_png, tmpdir, write_store)

WIDTH, HEIGHT = 1440, 1400


def chromium(tmp, env, *args):
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    profile = os.path.join(tmp, f"profile-{len(os.listdir(tmp))}")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", f"--user-data-dir={profile}"]
    rc, out, err = run([exe, *flags, *args], env, timeout=120)
    check(rc == 0, f"chromium {args}: rc {rc}: {err[-800:]}")


def main():
    if not (shutil.which("chromium") or os.path.exists("/usr/bin/chromium")):
        print("report_browser_test: SKIP: chromium is not installed (./test.sh installs it)")
        sys.exit(77)
    build = os.path.abspath(sys.argv[1])
    shots = os.path.join(build, "screenshots")
    os.makedirs(shots, exist_ok=True)
    with tmpdir() as tmp:
        env = no_display_env(tmp)
        state = os.path.join(tmp, "state")
        facts = write_store(build, state)
        html = os.path.join(tmp, "report.html")
        rc, out, err = report(build, env, state, html, "--show", "Hamlet", "--venue",
                              "Lyric Theatre", "--operator", "Sam")
        check(rc == 0, f"--report {html}: rc {rc}: {err[-600:]}")
        url = "file://" + html

        # A 1440 px screen.
        shot = os.path.join(shots, "report-html-1440.png")
        if os.path.exists(shot):
            os.remove(shot)
        chromium(tmp, env, f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}", url)
        with open(shot, "rb") as f:
            img = read_png(f.read())
        check(img[0] == WIDTH, f"screenshot is {img[0]} px wide")
        lo, hi = non_white_columns(img)
        check(0 < lo and hi < WIDTH - 40,
              f"1440 px: content from x={lo} to x={hi}: cut off or wider than the window")
        red, blue = chart_ink(img)
        check(red > 300 and blue > 300,
              f"1440 px: the rig chart's lines are not on screen (red {red}, blue {blue} px)")

        # Printed: the report's @page size (A4).
        pdf = os.path.join(tmp, "print.pdf")
        chromium(tmp, env, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", url)
        pages, w, h = pdf_pages(pdf)
        check((round(w), round(h)) == (595, 842), f"printed page {w} x {h} pt is not A4")
        check(pages == 1 + len(facts["macs"]), f"printed: {pages} pages, want 1 + one per drive")
        for i, mac in enumerate(facts["macs"]):
            page = " ".join(pdf_text(pdf, i + 2).split())
            check(page.startswith(f"{mac['name']} — {mac['rating_word']}"),
                  f"printed page {i + 2} is not {mac['name']}'s: {page[:80]!r}")
        for n, (pw, ph, words) in enumerate(pdf_words(pdf), start=1):
            for x0, y0, x1, y1, word in words:
                check(x0 >= 0 and y0 >= 0 and x1 <= pw and y1 <= ph,
                      f"printed page {n}: {word!r} outside the page")
            ink = margin_ink(render_gray(pdf, n, 50, os.path.join(tmp, f"print-{n}")), 50, 8)
            check(not any(ink.values()), f"printed page {n}: ink in the outer 8 mm: {ink}")
        first = save_png(pdf, 1, 96, os.path.join(shots, "report-html-a4-page1"))
        with open(first, "rb") as f:
            page1 = read_png(f.read())
        red, blue = chart_ink(page1)
        check(red > 100 and blue > 100, f"printed page 1 has no rig chart (red {red}, blue {blue})")
    print("report_browser_test: 1440 px screen and A4 print: nothing cut off, charts drawn")


if __name__ == "__main__":
    try:
        main()
    except Fail as e:
        print(f"report_browser_test: FAIL: {e}", file=sys.stderr)
        sys.exit(1)
