#!/usr/bin/env python3
"""Checks the rules the compiler does not, with clang-tidy over the project's
own sources (compile_commands.json of a build folder):

- thread safety everywhere: the locking rules written in the code
  (ABSL_GUARDED_BY, ABSL_EXCLUSIVE_LOCKS_REQUIRED, ...) are checked by clang's
  -Wthread-safety analysis, every finding an error;
- no function in agent/ longer than 80 lines (readability-function-size), so
  the agent stays readable in small named steps;
- one fork/exec in the tree: fork() only in common/subprocess.cc, the one
  place that starts programs (pipes, deadlines, process groups done once).

  scripts/lint.py BUILD_DIR [--jobs N] [PATH_PREFIX ...]

Exit status 0 when clean, 1 with the findings printed, 2 when clang-tidy is
missing or the build folder has no compile_commands.json.
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Our code; generated files (protobuf, moc) live in the build folder and are not checked.
CHECKED = ("agent/", "common/", "fio/", "console/", "tests/run/")
FUNCTION_SIZE_CHECKED = ("agent/",)
MAX_FUNCTION_LINES = 80


def lint(tidy, build, rel):
    # clang-tidy refuses to run with no check enabled besides compiler
    # diagnostics, so the function-size check runs everywhere, with a limit
    # nothing reaches outside agent/.
    limit = MAX_FUNCTION_LINES if rel.startswith(FUNCTION_SIZE_CHECKED) else 1000000
    config = json.dumps({"CheckOptions": [
        {"key": "readability-function-size.LineThreshold", "value": str(limit)}]})
    checks = "-*,clang-diagnostic-thread-safety*,readability-function-size"
    cmd = [tidy, "-p", build, "--quiet", "--checks=" + checks, "--warnings-as-errors=*",
           "--config=" + config, "--extra-arg=-Wthread-safety", os.path.join(ROOT, rel)]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    findings = [line for line in out.stdout.splitlines()
                if ": error: " in line or ": note: " in line and "lines including" in line]
    if out.returncode != 0 and not findings:
        findings = [f"{rel}: clang-tidy failed (exit {out.returncode}):"] + out.stdout.splitlines()[-5:]
    return rel, findings


def fork_outside_subprocess(files):
    """Our sources, other than common/subprocess.cc, that call fork()."""
    found = []
    for rel in files:
        if rel == "common/subprocess.cc":
            continue
        with open(os.path.join(ROOT, rel), errors="replace") as f:
            if "fork()" in f.read():
                found.append(f"{rel}: calls fork(); start programs with qdt::Subprocess")
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("prefixes", nargs="*", help="only files under these paths")
    args = parser.parse_args()
    tidy = shutil.which("clang-tidy")
    if tidy is None:
        print("lint: clang-tidy not found", file=sys.stderr)
        return 2
    db = os.path.join(args.build, "compile_commands.json")
    if not os.path.exists(db):
        print(f"lint: no {db} (configure with CMAKE_EXPORT_COMPILE_COMMANDS)", file=sys.stderr)
        return 2
    with open(db) as f:
        entries = json.load(f)
    files = sorted({os.path.relpath(os.path.realpath(e["file"]), ROOT) for e in entries})
    files = [f for f in files if f.startswith(CHECKED) and f.endswith((".cc", ".cpp"))]
    if args.prefixes:
        files = [f for f in files if f.startswith(tuple(args.prefixes))]
    failed = 0
    sources = sorted(os.path.relpath(os.path.join(d, n), ROOT)
                     for top in ("agent", "common", "fio", "console")
                     for d, _, names in os.walk(os.path.join(ROOT, top))
                     for n in names if n.endswith((".cc", ".h", ".cpp")))
    for finding in fork_outside_subprocess(sources):
        failed += 1
        print(finding)
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for rel, findings in pool.map(lambda r: lint(tidy, args.build, r), files):
            if findings:
                failed += 1
                print("\n".join(findings))
    print(f"lint: {len(files)} files checked (thread safety; functions over {MAX_FUNCTION_LINES} "
          f"lines in {', '.join(FUNCTION_SIZE_CHECKED)}; fork() outside common/subprocess.cc): "
          f"{failed} with findings")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
