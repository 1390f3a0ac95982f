#!/usr/bin/env python3
"""Mutation testing: plant one known bug at a time and check the tests catch it.

Reads tests/mutants/mutants.tsv (one mutant per line, see the header of that
file), copies the committed tree (git archive HEAD) to a scratch folder outside
the repository (default /work/mutate/src, so ccache's base_dir shares the cache
with the real build), configures and builds it once, runs each mutant's tests
once on the clean build (the baseline: a test that already fails proves
nothing), then for each mutant: replaces the exact original text (which must
occur exactly once in its file) with the replacement, rebuilds only the
mutant's targets, runs `ctest -R <its tests>` and puts the file back.

  caught     the tests failed: the bug is noticed
  SURVIVED   the tests passed with the bug in: a hole in the tests
  BROKEN     the mutant does not build: not a valid mutant (fix the row)
  NO TESTS   the ctest regex matches no test: the row is wrong
  BASELINE   its tests fail without the bug: nothing can be said

Exit status: 0 when every mutant run was caught, 1 otherwise, 2 for a bad
table or set-up. The real tree is never written, except docs/TESTING.md
with --write-docs (between <!-- mutants:begin --> and <!-- mutants:end -->).

  scripts/mutate.py [ID ...]            run all mutants, or the ones named
  scripts/mutate.py --check [ID ...]    validate rows against the working tree
                                        (text exactly once, targets and tests
                                        exist in BUILD), build and run nothing
  scripts/mutate.py --list              the table's ids and descriptions
"""

import argparse
import dataclasses
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "tests" / "mutants" / "mutants.tsv"
DOCS = ROOT / "docs" / "TESTING.md"
BEGIN, END = "<!-- mutants:begin -->", "<!-- mutants:end -->"
FIELDS = ["id", "file", "targets", "tests", "description", "original", "replacement"]
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")


def say(msg):
    print(f"\033[1m==> {msg}\033[0m", file=sys.stderr, flush=True)


class TableError(Exception):
    pass


@dataclasses.dataclass
class Mutant:
    id: str
    file: str
    targets: list
    tests: str
    description: str
    original: str
    replacement: str
    line: int  # in the table, for messages


def read_table(path):
    """The rows of the table; every problem of every row in one error."""
    mutants, problems, seen = [], [], set()
    for n, raw in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        cols = raw.split("\t")
        if len(cols) != len(FIELDS):
            problems.append(f"{path.name}:{n}: {len(cols)} tab-separated fields, want "
                            f"{len(FIELDS)} ({', '.join(FIELDS)})")
            continue
        row = dict(zip(FIELDS, cols))
        for f in ("id", "file", "targets", "tests", "description", "original"):
            if not row[f].strip():
                problems.append(f"{path.name}:{n}: empty {f}")
        if not ID_RE.match(row["id"]):
            problems.append(f"{path.name}:{n}: id {row['id'][:60]!r}: want [a-z0-9_-], "
                            "at most 41 characters")
        if row["id"] in seen:
            problems.append(f"{path.name}:{n}: id {row['id']!r} used twice")
        seen.add(row["id"])
        if row["original"] == row["replacement"]:
            problems.append(f"{path.name}:{n}: replacement is the original text")
        mutants.append(Mutant(row["id"], row["file"].strip(),
                              [t for t in row["targets"].replace(",", " ").split() if t],
                              row["tests"].strip(), row["description"].strip(),
                              row["original"], row["replacement"], n))
    if problems:
        raise TableError("\n".join(problems))
    return mutants


def check_text(tree, m):
    """Why the mutant cannot be applied in `tree`; "" when it can."""
    path = tree / m.file
    if ".." in Path(m.file).parts or Path(m.file).is_absolute():
        return f"{m.id}: file {m.file!r} must be a relative path inside the repository"
    if not path.is_file():
        return f"{m.id}: {m.file}: no such file in {tree}"
    count = path.read_text(encoding="utf-8").count(m.original)
    if count != 1:
        return (f"{m.id}: the original text occurs {count} times in {m.file} (must be exactly "
                f"once): {m.original[:120]!r}")
    return ""


def select(mutants, ids):
    if not ids:
        return mutants
    known = {m.id: m for m in mutants}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise TableError(f"unknown mutant id(s): {', '.join(unknown)}; known: "
                         f"{', '.join(known)}")
    return [known[i] for i in ids]


def run(cmd, cwd=None, timeout=None, env=None):
    """(exit code or None on timeout, combined output)."""
    try:
        p = subprocess.run(cmd, cwd=cwd, timeout=timeout, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, errors="replace")
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return None, out


def ninja_targets(build):
    code, out = run(["ninja", "-C", str(build), "-t", "targets", "all"])
    if code != 0:
        return None
    return {line.split(":", 1)[0] for line in out.splitlines() if ":" in line}


def ctest_count(build, regex):
    code, out = run(["ctest", "--test-dir", str(build), "-N", "-R", regex])
    m = re.search(r"Total Tests:\s*(\d+)", out)
    return int(m.group(1)) if code == 0 and m else 0


def check_rows(mutants, build):
    """--check: every row against the working tree and (if configured) BUILD."""
    problems = [p for p in (check_text(ROOT, m) for m in mutants) if p]
    targets = ninja_targets(build) if (build / "build.ninja").is_file() else None
    if targets is None:
        say(f"{build} is not a configured build: targets and test regexes not checked")
    else:
        for m in mutants:
            missing = [t for t in m.targets if t not in targets]
            if missing:
                problems.append(f"{m.id}: no build target {', '.join(missing)} in {build}")
            if ctest_count(build, m.tests) == 0:
                problems.append(f"{m.id}: ctest -R {m.tests!r} matches no test in {build} (a "
                                "gtest binary's tests are listed once it is built)")
    for m in mutants:
        print(f"{m.id:28} {'problem' if any(p.startswith(m.id + ':') for p in problems) else 'ok'}")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    say(f"{len(mutants)} row(s) valid")
    return 0


def sync_tree(src, from_worktree):
    """Makes `src` hold exactly the committed tree (or the working tree's
    tracked files), rewriting only files whose bytes differ so an unchanged
    file keeps its mtime and ninja rebuilds only what changed."""
    src.mkdir(parents=True, exist_ok=True)
    wanted = {}
    if from_worktree:
        code, out = run(["git", "-C", str(ROOT), "ls-files", "-z"])
        if code != 0:
            raise TableError(f"git ls-files failed: {out[:300]}")
        for rel in out.split("\0"):
            if rel and (ROOT / rel).is_file() and not (ROOT / rel).is_symlink():
                wanted[rel] = ((ROOT / rel).read_bytes(), os.access(ROOT / rel, os.X_OK))
    else:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", "HEAD"],
                                 stdout=subprocess.PIPE, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            for info in tar.getmembers():
                if info.isfile():
                    wanted[info.name] = (tar.extractfile(info).read(), bool(info.mode & 0o111))
    changed = 0
    for rel, (data, executable) in wanted.items():
        dest = src / rel
        if not dest.is_file() or dest.read_bytes() != data:
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            changed += 1
        mode = dest.stat().st_mode
        dest.chmod(mode | 0o111 if executable else mode & ~0o111)
    removed = 0
    for path in sorted(src.rglob("*"), reverse=True):
        rel = path.relative_to(src).as_posix()
        if rel == "build" or rel.startswith("build/"):
            continue
        if path.is_file() and rel not in wanted:
            path.unlink()
            removed += 1
    return changed, removed


@dataclasses.dataclass
class Result:
    mutant: Mutant
    status: str
    seconds: float
    detail: str = ""


def tail(text, lines=25):
    return "\n".join(text.rstrip().splitlines()[-lines:])


def ctest(build, regex, timeout):
    """(status, output): "passed", "failed", "none" (no test matched)."""
    code, out = run(["ctest", "--test-dir", str(build), "-R", regex, "--output-on-failure",
                     "--stop-on-failure", "-j", os.environ.get("QDT_JOBS", "2"), "--timeout",
                     str(timeout)], timeout=timeout * 4 + 60)
    if "No tests were found" in out:
        return "none", out
    return ("passed" if code == 0 else "failed"), out


def build_targets(build, targets, timeout):
    return run(["cmake", "--build", str(build), "-j", os.environ.get("QDT_JOBS", "2"), "--target",
                *targets], timeout=timeout)


def markdown(results, total_s):
    rows = ["| Mutant | File | The planted bug | Tests that must fail | Result | Time |",
            "|---|---|---|---|---|---|"]
    for r in results:
        tests = r.mutant.tests.replace("|", "\\|")
        description = r.mutant.description.replace("|", "\\|")
        rows.append(f"| `{r.mutant.id}` | `{r.mutant.file}` | {description} | "
                    f"`{tests}` | {r.status} | {r.seconds:.0f} s |")
    caught = sum(r.status == "caught" for r in results)
    rows.append("")
    rows.append(f"{caught} of {len(results)} caught; {total_s / 60:.1f} min in all "
                f"({time.strftime('%Y-%m-%d')}, `./mutate.sh`, "
                f"{os.environ.get('QDT_JOBS', '2')} jobs).")
    return "\n".join(rows)


def write_docs(table_md):
    text = DOCS.read_text(encoding="utf-8")
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise TableError(f"{DOCS}: want one {BEGIN} before one {END}")
    head, rest = text.split(BEGIN)
    _, foot = rest.split(END)
    DOCS.write_text(f"{head}{BEGIN}\n{table_md}\n{END}{foot}", encoding="utf-8")
    say(f"table written to {DOCS.relative_to(ROOT)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("ids", nargs="*", help="mutant ids (default: all)")
    ap.add_argument("--check", action="store_true",
                    help="validate the rows against the working tree; run nothing")
    ap.add_argument("--list", action="store_true", help="list the mutants")
    ap.add_argument("--build-dir", default=os.environ.get("QDT_BUILD", str(ROOT / "build")),
                    help="the configured build --check asks about targets and tests")
    ap.add_argument("--scratch", default=os.environ.get("QDT_MUTATE_DIR", "/work/mutate"),
                    help="scratch folder outside the repository (default /work/mutate)")
    ap.add_argument("--from-worktree", action="store_true",
                    help="copy the working tree's tracked files instead of HEAD")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip running the tests once without any mutant")
    ap.add_argument("--timeout", type=int, default=600, help="ctest --timeout per test (s)")
    ap.add_argument("--write-docs", action="store_true",
                    help="put the result table into docs/TESTING.md between the markers")
    ap.add_argument("--clean", action="store_true", help="remove the scratch folder at the end")
    args = ap.parse_args()

    try:
        mutants = select(read_table(TABLE), args.ids)
    except TableError as e:
        print(f"mutate: {e}", file=sys.stderr)
        return 2
    if args.list:
        for m in mutants:
            print(f"{m.id:28} {m.file:40} {m.description}")
        return 0
    if args.check:
        return check_rows(mutants, Path(args.build_dir).resolve())

    scratch = Path(args.scratch).resolve()
    src, build = scratch / "src", scratch / "src" / "build"
    # Never the real tree: the scratch copy is written, rebuilt and mutated.
    if scratch == ROOT or ROOT in scratch.parents or scratch in ROOT.parents:
        print(f"mutate: scratch {scratch} overlaps the repository {ROOT}", file=sys.stderr)
        return 2
    started = time.monotonic()
    changed, removed = sync_tree(src, args.from_worktree)
    say(f"scratch tree {src}: {changed} file(s) written, {removed} removed "
        f"({'working tree' if args.from_worktree else 'HEAD'})")
    problems = [p for p in (check_text(src, m) for m in mutants) if p]
    if problems:
        print("mutate: bad rows (against the scratch copy of "
              f"{'the working tree' if args.from_worktree else 'HEAD'}; commit first?):\n" +
              "\n".join(problems), file=sys.stderr)
        return 2
    if not (build / "build.ninja").is_file():
        say(f"configuring {build}")
        code, out = run(["cmake", "-S", str(src), "-B", str(build), "-G", "Ninja",
                         "-DCMAKE_BUILD_TYPE=RelWithDebInfo"])
        if code != 0:
            print(tail(out, 40), file=sys.stderr)
            return 2
    targets = sorted({t for m in mutants for t in m.targets})
    say(f"building {len(targets)} target(s) once: {' '.join(targets)}")
    code, out = build_targets(build, targets, timeout=4 * 3600)
    if code != 0:
        print(tail(out, 40), file=sys.stderr)
        print("mutate: the unmutated tree does not build", file=sys.stderr)
        return 2
    build_s = time.monotonic() - started
    say(f"built in {build_s:.0f} s")

    baseline = {}
    if not args.no_baseline:
        for regex in dict.fromkeys(m.tests for m in mutants):
            t0 = time.monotonic()
            status, out = ctest(build, regex, args.timeout)
            baseline[regex] = status
            say(f"baseline {regex}: {status} ({time.monotonic() - t0:.0f} s)")
            if status == "failed":
                print(tail(out), file=sys.stderr)

    results = []
    for m in mutants:
        t0 = time.monotonic()
        path = src / m.file
        original = path.read_bytes()
        text = original.decode("utf-8")
        say(f"{m.id}: {m.description}")
        if baseline.get(m.tests) in ("failed", "none"):
            status = "BASELINE" if baseline[m.tests] == "failed" else "NO TESTS"
            results.append(Result(m, status, 0, "its tests do not pass without the bug"))
            continue
        try:
            path.write_text(text.replace(m.original, m.replacement, 1), encoding="utf-8")
            code, out = build_targets(build, m.targets, timeout=3600)
            if code != 0:
                results.append(Result(m, "BROKEN", time.monotonic() - t0, tail(out)))
            else:
                status, out = ctest(build, m.tests, args.timeout)
                verdict = {"failed": "caught", "passed": "SURVIVED", "none": "NO TESTS"}[status]
                failed = re.findall(r"^\s*\d+ - (\S+) \(", out, re.M)
                results.append(Result(m, verdict, time.monotonic() - t0,
                                      ", ".join(failed[:5]) if failed else tail(out, 8)))
        finally:
            path.write_bytes(original)  # rebuilt lazily by the next target that needs it
            os.utime(path)
        r = results[-1]
        say(f"{m.id}: {r.status} in {r.seconds:.0f} s" +
            (f" ({r.detail})" if r.status == "caught" else ""))
        if r.status != "caught":
            print(r.detail, file=sys.stderr)

    total_s = time.monotonic() - started
    table_md = markdown(results, total_s)
    print(table_md)
    print(f"\nset-up and first build {build_s:.0f} s; total {total_s:.0f} s")
    if args.write_docs:
        write_docs(table_md)
    if args.clean:
        shutil.rmtree(scratch)
    bad = [r for r in results if r.status != "caught"]
    if bad:
        say(f"not caught: {', '.join(f'{r.mutant.id} ({r.status})' for r in bad)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
