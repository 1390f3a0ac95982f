#!/usr/bin/env python3
"""bench/agent_overhead: what does running fio through qdt-agent cost?

The same fio job file is run (a) by raw fio and (b) through a real qdt-agent
with qdtctl watching the run (the samples stream over gRPC on loopback), paired
PAIRS times in one run, alternating, so that the noisy shared disk affects both
sides alike. Reported per pair: fio's own read MB/s for each side and their
ratio (goal >= 0.98); for the agent while it streams: peak RSS (goal < 30 MB)
and CPU as a share of one core (goal < 2 %).

Usage: bench/agent_overhead.py [--build build] [--seconds 10] [--pairs 3]
                               [--file-size-mib 1024] [--target DIR] [--markdown]
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def parse_fio_reports(text):
    """All top-level JSON objects in fio's stdout (skips non-JSON lines)."""
    dec = json.JSONDecoder()
    out, i = [], 0
    while True:
        j = text.find("{", i)
        if j < 0:
            return out
        try:
            obj, end = dec.raw_decode(text, j)
            out.append(obj)
            i = end
        except ValueError:
            i = j + 1


def mean_read_mbps(report):
    jobs = report["jobs"]
    runtime = max(j["read"]["runtime"] for j in jobs)
    return sum(j["read"]["io_bytes"] for j in jobs) / (runtime / 1000.0) / 1e6


def proc_cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def proc_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / 1e6
    return 0.0


class Agent:
    def __init__(self, build, state):
        self.state = state
        port_file = os.path.join(state, "agent.port")
        self.log = open(os.path.join(state, "agent.log"), "w")
        self.proc = subprocess.Popen(
            [os.path.join(build, "agent", "qdt-agent"), "--listen", "127.0.0.1:0",
             "--port-file", port_file, "--state-dir", state,
             "--token-file", os.path.join(state, "token")],
            stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(200):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.05)
        self.address = "127.0.0.1:" + open(port_file).read().strip()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.log.close()


def run_through_agent(args, agent, profile_file):
    """Starts the run with qdtctl --wait (a live watcher) and samples the agent."""
    ctl = [os.path.join(args.build, "console", "qdtctl"), "--agent", agent.address,
           "--token-file", os.path.join(agent.state, "token")]
    watcher = subprocess.Popen(
        ctl + ["start", "--profile-file", profile_file, "--target", args.target,
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
    run_id = next(l.split()[1] for l in lines if l.startswith("run "))
    fio_dir = os.path.join(agent.state, "runs", run_id, "fio")
    with open(os.path.join(fio_dir, "phase-0.stdout")) as f:
        mbps = mean_read_mbps(parse_fio_reports(f.read())[-1])
    samples = sum(1 for l in lines if l.startswith("  max-read"))
    return {"mbps": mbps, "cpu_pct": 100.0 * (cpu1 - cpu0) / (t1 - t0), "rss_mb": rss,
            "samples": samples, "job_file": os.path.join(fio_dir, "phase-0.fio")}


def run_raw_fio(args, job_file, work):
    """The agent's own job file, run by fio directly on a copy of its folder."""
    with open(job_file) as f:
        text = f.read()
    # The agent's test folder is gone after its run; point the job at a scratch copy.
    old_dir = next(l.split("=", 1)[1].rsplit("/", 1)[0] for l in text.splitlines()
                   if l.startswith("filename="))
    raw_dir = os.path.join(work, "raw")
    os.makedirs(raw_dir, exist_ok=True)
    text = text.replace(old_dir + "/", raw_dir + "/")
    path = os.path.join(work, "raw.fio")
    with open(path, "w") as f:
        f.write(text)
    fio = shutil.which("fio")
    # Lay the file out first, as the agent does, so that timing excludes layout.
    subprocess.run([fio, "--output-format=json", "--create_only=1", path],
                   check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run([fio, "--output-format=json", "--status-interval=1", path],
                         check=True, capture_output=True, text=True).stdout
    shutil.rmtree(raw_dir)
    return mean_read_mbps(parse_fio_reports(out)[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--file-size-mib", type=int, default=1024)
    ap.add_argument("--target", default=None, help="folder on the drive to test (default: under the build folder)")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table for BENCHMARKS.md")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="qdt-bench-", dir=args.build)
    args.target = args.target or os.path.join(work, "target")
    os.makedirs(args.target, exist_ok=True)
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
    try:
        for i in range(args.pairs):
            a = run_through_agent(args, agent, profile_file)
            raw = run_raw_fio(args, a["job_file"], work)
            rows.append({"pair": i + 1, "raw": raw, **a, "ratio": a["mbps"] / raw})
            print(f"pair {i + 1}: raw fio {raw:.1f} MB/s, through agent {a['mbps']:.1f} MB/s, "
                  f"ratio {a['mbps'] / raw:.3f}; agent CPU {a['cpu_pct']:.2f} % of a core, "
                  f"RSS {a['rss_mb']:.1f} MB, {a['samples']} samples", flush=True)
    finally:
        agent.stop()
        shutil.rmtree(work, ignore_errors=True)

    ratio = statistics.median(r["ratio"] for r in rows)
    cpu = max(r["cpu_pct"] for r in rows)
    rss = max(r["rss_mb"] for r in rows)
    print(f"median throughput ratio {ratio:.3f} (goal >= 0.98); agent CPU max {cpu:.2f} % "
          f"(goal < 2 %); agent RSS max {rss:.1f} MB (goal < 30 MB)")
    if args.markdown:
        print("\n| pair | raw fio MB/s | through agent MB/s | ratio | agent CPU % of a core | agent RSS MB | samples |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['pair']} | {r['raw']:.1f} | {r['mbps']:.1f} | {r['ratio']:.3f} | "
                  f"{r['cpu_pct']:.2f} | {r['rss_mb']:.1f} | {r['samples']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
