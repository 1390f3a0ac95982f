#!/usr/bin/env python3
"""`qdt-console --report` as a process, with no display at all (DISPLAY,
WAYLAND_DISPLAY and QT_QPA_PLATFORM unset), on a real two-drive store whose
verdicts the verdict engine computed (report_test --write-store):

- --help and --version exit 0; bad arguments exit 2; an empty or missing
  store and an unwritable path exit 1 with a message naming what was missing;
- the PDF (A4 and Letter) shows both Macs by name, their ratings, the profile,
  the time scale, the start in local time with its UTC offset and every
  phase's numbers, each drive on its own page; nothing outside the latest
  rig test;
- every page fits its paper: every word inside the margins (pdftotext
  -bbox), the rendered page's outer strips blank (pdftoppm -gray), its chart
  drawn, and no word broken mid-word (every word of the PDF is a word of the
  report);
- the HTML says the same, has no script, and its charts decode and are not
  blank.

Pictures for people: BUILD/screenshots/report-a4-page1.png, report-letter-page1.png.

    report_cli_test.py BUILD_DIR
"""
import datetime
import os
import re
import subprocess
import sys
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report_pictures import (MARGIN_PT, Fail, chart_ink, check, html_images, html_text,  # noqa: E402
                             margin_ink, no_display_env, normalise, pdf_pages, pdf_text,
                             pdf_words, read_png, render_gray, report, run, save_png, tmpdir,
                             write_store)

PAPERS = {"a4": (595, 842), "letter": (612, 792)}


def local(unix_s):
    t = datetime.datetime.fromtimestamp(unix_s, zoneinfo.ZoneInfo("Europe/Berlin"))
    off = t.utcoffset().total_seconds()
    sign = "-" if off < 0 else "+"
    off = abs(int(off))
    return t.strftime("%Y-%m-%d %H:%M:%S") + f" UTC{sign}{off // 3600:02d}:{off % 3600 // 60:02d}"


def check_arguments(build, env, tmp):
    console = os.path.join(build, "console", "qdt-console")
    rc, out, err = run([console, "--help"], env)
    check(rc == 0 and "--report <FILE>" in out, f"--help without a display: rc {rc}: {err[-400:]}")
    rc, out, err = run([console, "--version"], env)
    check(rc == 0 and out.startswith("qdt-console "), f"--version: rc {rc}: {out} {err[-300:]}")
    for args, says in ((["--report", "x.txt"], 'must end in .pdf or .html'),
                       (["--report", "x.pdf", "--paper", "a5"], '--paper: "a5" is not a4 or letter'),
                       (["--show", "Hamlet"], "--show: only with --report"),
                       (["--no-such-option"], "Unknown option")):
        rc, out, err = run([console, *args], env)
        check(rc == 2 and says in err, f"{args}: rc {rc} (want 2), stderr: {err[-400:]}")
    # No store there: 1, naming where it looked (and nothing created).
    missing = os.path.join(tmp, "no-state")
    rc, out, err = report(build, env, missing, os.path.join(tmp, "x.pdf"))
    check(rc == 1 and f'nothing to report: no console store at "{missing}/console.sqlite"' in err,
          f"missing store: rc {rc}: {err[-400:]}")
    check(not os.path.exists(missing), "a missing store is not created")
    # A store without runs: 1, "nothing to report", and no file.
    empty = os.path.join(tmp, "empty")
    os.makedirs(empty)
    open(os.path.join(empty, "console.sqlite"), "wb").close()
    out_pdf = os.path.join(tmp, "empty.pdf")
    rc, out, err = report(build, env, empty, out_pdf)
    check(rc == 1 and "nothing to report: the console store" in err and "holds no run" in err,
          f"empty store: rc {rc}: {err[-400:]}")
    check(not os.path.exists(out_pdf), "an empty report is not written")


def check_pdf(build, env, tmp, state, facts, paper, shots):
    pdf = os.path.join(tmp, f"report-{paper}.pdf")
    rc, out, err = report(build, env, state, pdf, "--paper", paper, "--show", "Hamlet",
                          "--venue", "Lyric Theatre", "--operator", "Sam")
    check(rc == 0 and "wrote" in out, f"--report {pdf}: rc {rc}: {err[-600:]}")
    pages, w, h = pdf_pages(pdf)
    check((round(w), round(h)) == PAPERS[paper], f"{paper}: page size {w} x {h}")
    macs = facts["macs"]
    check(pages == 1 + len(macs), f"{paper}: {pages} pages, want the rig page + one per drive")
    text = pdf_text(pdf)
    flat = " ".join(text.split())
    for want in ("QDT rig report — Hamlet", "Show: Hamlet", "Venue: Lyric Theatre",
                 "Operator: Sam", "Time zone: Europe/Berlin", "Profile: setup-check",
                 "Time scale: ×1 (real time: show ratings)",
                 f"Rig test started: {local(min(m['started_s'] for m in macs))}"):
        check(want in flat, f"{paper}: PDF lacks {want!r}")
    for gone in facts["not_in_rig_test"]:
        check(gone not in flat, f"{paper}: {gone!r} is not part of the latest rig test")
    # Each Mac on its own page, by name, with its rating, reason, start and phases.
    for i, mac in enumerate(macs):
        page = " ".join(pdf_text(pdf, i + 2).split())
        name, word = mac["name"], mac["rating_word"]
        check(page.startswith(f"{name} — {word}"), f"{paper}: page {i + 2} is not {name}'s")
        for other in macs:
            if other is not mac:
                check(f"{other['name']} — " not in page, f"{paper}: {other['name']} on {name}'s page")
        check(f"started {local(mac['started_s'])}" in page, f"{paper}: {name}'s start")
        check(f"Run: {mac['run_id']}" in page, f"{paper}: {name}'s run id")
        for ph in mac["phases"]:
            missed = str(ph["missed"]) if ph["target"] > 0 else "—"
            row = rf"{re.escape(ph['name'])} \S+ {missed} / {ph['windows']} {ph['worst']} {ph['mean']} "
            check(re.search(row, page), f"{paper}: {name}'s phase row {row!r} in {page[:1500]!r}")
        for stream in mac["dropped_frame_risk_streams"]:
            check(f"dropped-frame risk: {stream}" in page, f"{paper}: {name}'s flag for {stream}")
        check(page.count("dropped-frame risk") == 2 * len(mac["dropped_frame_risk_streams"]),
              f"{paper}: {name}: dropped-frame risk flag and stream row only where the engine said")
        # In the rig table on page 1: name, sustained, rating word, reason.
        check(re.search(rf"{re.escape(name)} .*? {mac['sustained']} {word} "
                        rf"{re.escape(mac['rating_reason'].split()[0])}",
                        " ".join(pdf_text(pdf, 1, layout=False).split())),
              f"{paper}: {name}'s row in the rig table")

    # Every word inside the margins (a too wide table or image would cross
    # the right one), and the rendered margins blank.
    for n, (pw, ph, words) in enumerate(pdf_words(pdf), start=1):
        for x0, y0, x1, y1, word in words:
            check(x0 >= MARGIN_PT - 1 and x1 <= pw - MARGIN_PT + 1 and y0 >= MARGIN_PT - 1
                  and y1 <= ph - 4,
                  f"{paper} page {n}: {word!r} at ({x0:.0f}, {y0:.0f})-({x1:.0f}, {y1:.0f}) is "
                  f"outside the {pw:.0f} x {ph:.0f} pt page's margins")
        gray = render_gray(pdf, n, 50, os.path.join(tmp, f"{paper}-{n}"))
        # 10 mm strips left, right and top; the footer sits 8-11 mm from the
        # bottom, so the bottom strip is 6 mm.
        ink = margin_ink(gray, 50, 10)
        bottom = margin_ink(gray, 50, 6)["bottom"]
        check(ink["left"] == 0 and ink["right"] == 0 and ink["top"] == 0 and bottom == 0,
              f"{paper} page {n}: ink in the margins: {ink}, bottom {bottom}")
    # One chart per page, drawn (not a blank stand-in): the images the PDF
    # holds, decoded, show the first line's blue and the crossfade line's red.
    subprocess.run(["pdfimages", "-png", pdf, os.path.join(tmp, f"{paper}-img")], check=True)
    images = sorted(f for f in os.listdir(tmp) if f.startswith(f"{paper}-img"))
    check(len(images) == pages, f"{paper}: {len(images)} images for {pages} pages")
    for name in images:
        with open(os.path.join(tmp, name), "rb") as f:
            red, blue = chart_ink(read_png(f.read()), red_min=190, red_others_max=110)
        check(red > 200 and blue > 200, f"{paper}: {name} is not a chart (red {red}, blue {blue})")

    # No word broken mid-word: every word of the PDF is a word of the same
    # report as HTML (or of the page footer).
    html_path = os.path.join(tmp, f"report-{paper}.html")
    rc, out, err = report(build, env, state, html_path, "--paper", paper, "--show", "Hamlet",
                          "--venue", "Lyric Theatre", "--operator", "Sam")
    check(rc == 0, f"--report {html_path}: {err[-400:]}")
    with open(html_path, encoding="utf-8") as f:
        html = f.read()
    known = {w.lower() for w in re.findall(r"[A-Za-z]+", normalise(html_text(html)))}
    known |= {"page", "of", "written"}  # the footer
    pdf_tokens = re.findall(r"[A-Za-z]+", pdf_text(pdf, layout=False))
    broken = sorted({t for t in pdf_tokens if t.lower() not in known})
    check(not broken, f"{paper}: words broken or unknown in the PDF: {broken[:20]}")
    for word in ("Sustained", "counter", "Windows", "interval", "crossfade", "dropped"):
        check(word in pdf_tokens, f"{paper}: {word!r} is not whole in the PDF")
    save_png(pdf, 1, 96, os.path.join(shots, f"report-{paper}-page1"))
    return html


def check_html(html, facts):
    check("<script" not in html.lower(), "the HTML has a script")
    text = html_text(html)
    for mac in facts["macs"]:
        for want in (mac["name"], mac["rating_word"], mac["rating_reason"]):
            check(want in text, f"HTML lacks {want!r}")
    check("Profile: setup-check" in text and "Time scale: ×1" in text, "HTML: profile, time scale")
    images = html_images(html)
    check(len(images) == 1 + len(facts["macs"]), f"HTML has {len(images)} charts")
    for i, (w, h, c, px) in enumerate(images):
        dark = sum(1 for j in range(0, len(px), c) if px[j] < 128)
        check(w >= 1000 and dark > w * h // 200, f"chart {i}: {w}x{h}, {dark} dark pixels: blank?")


def main():
    build = os.path.abspath(sys.argv[1])
    shots = os.path.join(build, "screenshots")
    os.makedirs(shots, exist_ok=True)
    with tmpdir() as tmp:
        env = no_display_env(tmp)
        check_arguments(build, env, tmp)
        state = os.path.join(tmp, "state")
        facts = write_store(build, state)
        # An unwritable path: 1, naming it.
        bad = os.path.join(tmp, "no", "such", "dir", "r.pdf")
        rc, out, err = report(build, env, state, bad)
        check(rc == 1 and f'cannot write "{bad}"' in err, f"unwritable: rc {rc}: {err[-400:]}")
        html = check_pdf(build, env, tmp, state, facts, "a4", shots)
        check_pdf(build, env, tmp, state, facts, "letter", shots)
        check_html(html, facts)
    print("report_cli_test: headless report, A4 and Letter pages fit, words whole, HTML charts")


if __name__ == "__main__":
    try:
        main()
    except Fail as e:
        print(f"report_cli_test: FAIL: {e}", file=sys.stderr)
        sys.exit(1)
