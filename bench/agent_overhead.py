#!/usr/bin/env python3
"""bench/agent_overhead: what does running fio through qdt-agent cost?

The same fio job (the agent's own phase-0.fio, minus its gate lines) reads the
same size of file on the same device (a) through a real qdt-agent with qdtctl
watching the run (samples streamed over gRPC on loopback) and (b) by raw fio in
a scratch folder on the same target, with fio's working folder there (the job
names its files bare, as the agent writes it). Pairs alternate their order
(ABBA) so that a drifting disk affects both sides alike. Reported per pair:
fio's own read MB/s of each side and their ratio (goal >= 0.98), what the
drive's counter saw of each side (device / fio bytes: ~1.0 means both read the
drive, not the page cache), and for the agent while it streams: peak RSS
(goal < 30 MB) and CPU as a share of one core (goal < 2 %).

Every pair checks that both sides read the same files on the same device, and
the run checks that nothing is left behind (target, repository root, current
folder); either failing exits 1 without a result.

Usage: bench/agent_overhead.py [--build build] [--seconds 10] [--pairs 6]
                               [--file-size-mib 1024] [--target DIR | --loop-tmpfs]
                               [--markdown] [--smoke]
  --loop-tmpfs  test on ext4 on a loop device over /dev/shm (root): a steady
                device, where the shared disk of a VM drifts by 3x
  --smoke       2 pairs of 2 s on 64 MiB files: the checks, not the numbers
"""
import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qdtbench import (ROOT, Agent, BenchError, LoopVolume, device_of, device_read_bytes,  # noqa: E402
                      listing, mean_read_mbps, ours, parse_fio_reports, proc_cpu_s, proc_rss_mb, run)

GATE_OPTIONS = ("exec_prerun=", "startdelay=")


def raw_job_text(agent_job):
    """The agent's job without what only the agent's pipeline uses (its gate)."""
    lines = [l for l in agent_job.splitlines() if not l.startswith(GATE_OPTIONS)]
    for l in lines:
        if l.startswith("filename=") and "/" in l:
            raise BenchError(f"the agent's job names a path, not a bare file: {l}")
    return "\n".join(lines) + "\n"


def job_options(job):
    """What fio is told to do, without comments (they name the run's folder)."""
    return [l for l in raw_job_text(job).splitlines() if l.strip() and not l.startswith((";", "#"))]


def fio_files(report):
    return sorted(j["job options"]["filename"] for j in report["jobs"])


def run_through_agent(args, agent, profile_file):
    """Starts the run with qdtctl --wait (a live watcher) and samples the agent."""
    watcher = subprocess.Popen(
        agent.ctl() + ["start", "--profile-file", profile_file, "--target", args.target,
                       "--file-size", f"{args.file_size_mib}M", "--wait"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    running = threading.Event()

    def read_output():
        for line in watcher.stdout:
            lines.append(line)
            if line.startswith("== phase 1"):
                running.set()
    reader = threading.Thread(target=read_output)
    reader.start()
    running.wait(timeout=600)
    # Measure the agent only while fio streams samples (not during layout).
    cpu0, t0 = proc_cpu_s(agent.proc.pid), time.monotonic()
    rss = 0.0
    while watcher.poll() is None:
        rss = max(rss, proc_rss_mb(agent.proc.pid))
        if any(l.startswith("Verdict") for l in lines):
            break
        time.sleep(0.2)
    cpu1, t1 = proc_cpu_s(agent.proc.pid), time.monotonic()
    watcher.wait(timeout=120)
    reader.join()
    run_line = next((l for l in lines if l.startswith("run ")), None)
    if run_line is None:
        raise BenchError("qdtctl start printed no run id:\n" + "".join(lines))
    run_id = run_line.split()[1]
    rec = agent.record(run_id)
    if rec["run"].get("state") != "RUN_STATE_DONE":
        raise BenchError(f"the agent's run ended {rec['run'].get('state')}: {rec['run'].get('error')}")
    if os.path.realpath(rec["run"]["target_dir"]) != os.path.realpath(args.target):
        raise BenchError(f"the agent tested {rec['run']['target_dir']}, not {args.target}")
    fio_dir = os.path.join(agent.state, "runs", run_id, "fio")
    with open(os.path.join(fio_dir, "phase-0.stdout")) as f:
        report = parse_fio_reports(f.read())[-1]
    with open(os.path.join(fio_dir, "phase-0.fio")) as f:
        job = f.read()
    phase = rec["run"]["verdict"]["phases"][0]
    device_ratio = int(phase["device_bytes"]) / int(phase["fio_bytes"]) if "device_bytes" in phase else None
    return {"mbps": mean_read_mbps(report), "cpu_pct": 100.0 * (cpu1 - cpu0) / (t1 - t0),
            "rss_mb": rss, "samples": sum(1 for l in lines if l.startswith("  max-read")),
            "job": job, "files": fio_files(report), "device_ratio": device_ratio}


def evict(path):
    """As the agent does after its layout: written out, dropped from the cache."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def run_raw_fio(args, agent_job, device):
    """The agent's job, by fio directly, in a scratch folder on the same target."""
    scratch = tempfile.mkdtemp(prefix=".qdt-bench-raw-", dir=args.target)
    try:
        if os.stat(scratch).st_dev != os.stat(args.target).st_dev:
            raise BenchError(f"{scratch} is on another device than {args.target}")
        job = os.path.join(scratch, "raw.fio")
        with open(job, "w") as f:
            f.write(raw_job_text(agent_job))
        fio = shutil.which("fio")
        # Laid out first and evicted, as the agent does, so timing excludes layout.
        run([fio, "--output-format=json", "--create_only=1", "raw.fio"], cwd=scratch)
        data = sorted(n for n in os.listdir(scratch) if n.endswith(".dat"))
        for n in data:
            size = os.path.getsize(os.path.join(scratch, n))
            if size != args.file_size_mib << 20:
                raise BenchError(f"raw fio laid out {n} of {size} bytes, not {args.file_size_mib} MiB")
            evict(os.path.join(scratch, n))
        before = device_read_bytes(device)
        out = run([fio, "--output-format=json", "--status-interval=1", "raw.fio"], cwd=scratch)
        after = device_read_bytes(device)
        report = parse_fio_reports(out)[-1]
        if fio_files(report) != data:
            raise BenchError(f"raw fio read {fio_files(report)}, laid out {data}")
        io = sum(j["read"]["io_bytes"] for j in report["jobs"])
        ratio = (after - before) / io if before is not None and io > 0 else None
        return {"mbps": mean_read_mbps(report), "files": data, "device_ratio": ratio}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def bench(args, work):
    device = device_of(args.target)
    print(f"target {args.target} on {device[2] if device else 'no block device (no counter)'}; "
          f"{args.pairs} pairs of {args.seconds:g} s on {args.file_size_mib} MiB files", flush=True)
    state = os.path.join(work, "state")
    os.makedirs(state)
    profile = {"name": "bench-max-read", "title": "Benchmark: unpaced read",
               "phases": [{"name": "max-read", "duration_s": args.seconds,
                           "streams": [{"name": "seq read", "block_size_bytes": 1048576,
                                        "iodepth": 8}]}]}
    profile_file = os.path.join(work, "profile.json")
    with open(profile_file, "w") as f:
        json.dump(profile, f)
    agent = Agent(args.build, state)
    rows = []
    job = None  # the agent's job file, from the first pair (agent first)
    try:
        for i in range(args.pairs):
            order = ("agent", "raw") if i % 2 == 0 else ("raw", "agent")  # ABBA
            side = {}
            for which in order:
                if which == "agent":
                    side["agent"] = run_through_agent(args, agent, profile_file)
                    job = job or side["agent"]["job"]
                else:
                    side["raw"] = run_raw_fio(args, job, device)
            a, r = side["agent"], side["raw"]
            if a["files"] != r["files"]:
                raise BenchError(f"the sides read different files: agent {a['files']}, raw {r['files']}")
            if job_options(a["job"]) != job_options(job):
                raise BenchError("the sides ran different jobs")
            row = {"pair": i + 1, "order": "/".join(order), "raw": r["mbps"], "agent": a["mbps"],
                   "ratio": a["mbps"] / r["mbps"], "cpu_pct": a["cpu_pct"], "rss_mb": a["rss_mb"],
                   "samples": a["samples"], "dev_agent": a["device_ratio"], "dev_raw": r["device_ratio"]}
            rows.append(row)
            print(f"pair {row['pair']} ({row['order']}): raw fio {r['mbps']:.1f} MB/s, through agent "
                  f"{a['mbps']:.1f} MB/s, ratio {row['ratio']:.3f}; drive/fio bytes agent "
                  f"{fmt(a['device_ratio'], '.3f')} raw {fmt(r['device_ratio'], '.3f')}; agent CPU "
                  f"{a['cpu_pct']:.2f} % of a core, RSS {a['rss_mb']:.1f} MB, {a['samples']} samples",
                  flush=True)
    finally:
        agent.stop()
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--pairs", type=int, default=6, help="even: as many agent-first as raw-first")
    ap.add_argument("--file-size-mib", type=int, default=1024)
    ap.add_argument("--target", default=None, help="folder on the drive to test (default: under the build folder)")
    ap.add_argument("--loop-tmpfs", action="store_true", help="test on a loop device over /dev/shm (root)")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table for BENCHMARKS.md")
    ap.add_argument("--smoke", action="store_true", help="2 pairs of 2 s on 64 MiB files: the checks only")
    args = ap.parse_args()
    if args.smoke:
        args.pairs, args.seconds, args.file_size_mib = 2, 2, 64
    args.build = os.path.abspath(args.build)

    # The target is the benchmark's alone: all of it is watched. The shared
    # folders only for what a benchmark or its fio could leave there.
    shared = {p: ours(os.listdir(p)) for p in {ROOT, os.getcwd()}}
    watched = {}
    loop = None
    work = tempfile.mkdtemp(prefix="qdt-bench-", dir=args.build)
    try:
        if args.loop_tmpfs:
            loop = LoopVolume(2 * args.file_size_mib + 512)
            args.target = loop.mount
        args.target = os.path.abspath(args.target or os.path.join(work, "target"))
        os.makedirs(args.target, exist_ok=True)
        watched[args.target] = listing(args.target)
        rows = bench(args, work)
        for path, before in watched.items():
            if listing(path) - before:
                raise BenchError(f"left behind in {path}: {sorted(listing(path) - before)[:5]}")
        for path, before in shared.items():
            if ours(os.listdir(path)) - before:
                raise BenchError(f"left behind in {path}: {sorted(ours(os.listdir(path)) - before)[:5]}")
    except BenchError as e:
        print(f"agent_overhead: {e}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if loop:
            loop.close()

    ratio = statistics.median(r["ratio"] for r in rows)
    # With as many agent-first as raw-first pairs, the geometric mean of the
    # ratios cancels whatever favours the first (or second) run of a pair;
    # that effect itself is the geometric mean of first / second.
    balanced = math.exp(statistics.fmean(math.log(r["ratio"]) for r in rows))
    first = math.exp(statistics.fmean(
        math.log(r["ratio"] if r["order"].startswith("agent") else 1 / r["ratio"]) for r in rows))
    cpu = max(r["cpu_pct"] for r in rows)
    rss = max(r["rss_mb"] for r in rows)
    print(f"median throughput ratio {ratio:.3f} of {len(rows)} pairs ({min(r['ratio'] for r in rows):.3f}"
          f"-{max(r['ratio'] for r in rows):.3f}; goal >= 0.98); agent CPU max {cpu:.2f} % "
          f"(goal < 2 %); agent RSS max {rss:.1f} MB (goal < 30 MB); nothing left behind")
    print(f"order-balanced ratio (geometric mean{'' if len(rows) % 2 == 0 else ', odd pairs: not balanced'})"
          f" {balanced:.3f}; the first run of a pair / the second: {first:.3f}")
    if args.markdown:
        print("\n| pair | order | raw fio MB/s | through agent MB/s | ratio | drive/fio bytes (agent, raw) "
              "| agent CPU % of a core | agent RSS MB | samples |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['pair']} | {r['order']} | {r['raw']:.1f} | {r['agent']:.1f} | {r['ratio']:.3f} | "
                  f"{fmt(r['dev_agent'], '.3f')}, {fmt(r['dev_raw'], '.3f')} | {r['cpu_pct']:.2f} | "
                  f"{r['rss_mb']:.1f} | {r['samples']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
