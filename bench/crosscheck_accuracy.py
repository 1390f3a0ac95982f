#!/usr/bin/env python3
"""bench/crosscheck_accuracy: how closely does the drive's own counter agree
with fio, per phase and per second?

A real qdt-agent runs setup-check and max-sustained (scaled) on ext4 on a loop
device over /dev/shm that nothing else reads (root). For every phase: the
drive's bytes over fio's bytes (the verdict's device_bytes / fio_bytes). For
every sample of at least 0.5 s (the windows the verdict judges): |drive rate -
fio rate| in MB/s and in % of fio's rate, median and p90, pooled per profile.

Usage: bench/crosscheck_accuracy.py [--build build] [--file-size-mib 512]
                                    [--setup-check-scale 1] [--max-sustained-scale 0.01]
                                    [--markdown] [--smoke]
  --smoke  setup-check x0.1 on 64 MiB files: checks that the counter read is
           the loop device's, that every sample has a drive rate and that nothing
           is left behind (exit 77 when no loop device can be made here)
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qdtbench import ROOT, Agent, BenchError, LoopVolume, listing, ours, run  # noqa: E402

SKIP = 77


def percentile(values, p):
    """Nearest rank."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, int(-(-p * len(v) // 100)) - 1))
    return v[k]


def run_profile(agent, loop, profile, scale, file_size_mib):
    out = run(agent.ctl() + ["start", "--profile", profile, "--time-scale", f"{scale:g}",
                             "--target", loop.mount, "--file-size", f"{file_size_mib}M", "--wait"])
    run_id = next(l.split()[1] for l in out.splitlines() if l.startswith("run "))
    rec = agent.record(run_id)
    if rec["run"].get("state") != "RUN_STATE_DONE":
        raise BenchError(f"{profile}: the run ended {rec['run'].get('state')}: {rec['run'].get('error')}")
    counted = rec["run"].get("checks", {}).get("device_counter", "")
    if counted != os.path.basename(loop.device):
        raise BenchError(f"{profile}: the agent counted {counted!r}, not the loop device {loop.device}")
    phases = []
    for p in rec["run"]["verdict"]["phases"]:
        if "device_bytes" not in p or "fio_bytes" not in p:
            raise BenchError(f"{profile}: phase {p['name']} has no drive bytes")
        phases.append({"profile": profile, "phase": p["name"], "fio_gb": int(p["fio_bytes"]) / 1e9,
                       "drive_gb": int(p["device_bytes"]) / 1e9,
                       "ratio": int(p["device_bytes"]) / int(p["fio_bytes"]),
                       "fio_mb_s": p.get("mean_mb_s", 0), "drive_mb_s": p.get("device_mean_mb_s", 0)})
    diffs, rel = [], []
    samples = [e["sample"] for e in rec["events"] if "sample" in e]
    for s in samples:
        if "device_read_bytes_per_s" not in s:
            raise BenchError(f"{profile}: a sample without a drive rate (seq of phase {s.get('phase_index', 0)})")
        if s.get("interval_s", 0) < 0.5:
            continue
        fio, drive = s.get("read_bytes_per_s", 0), s["device_read_bytes_per_s"]
        diffs.append(abs(drive - fio) / 1e6)
        if fio > 0:
            rel.append(100 * abs(drive - fio) / fio)
    return phases, {"profile": profile, "scale": scale, "samples": len(samples), "judged": len(diffs),
                    "median_mb_s": percentile(diffs, 50), "p90_mb_s": percentile(diffs, 90),
                    "median_pct": percentile(rel, 50), "p90_pct": percentile(rel, 90)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--file-size-mib", type=int, default=512)
    ap.add_argument("--setup-check-scale", type=float, default=1.0)
    ap.add_argument("--max-sustained-scale", type=float, default=0.01)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    runs = [("setup-check", args.setup_check_scale), ("max-sustained", args.max_sustained_scale)]
    if args.smoke:
        args.file_size_mib, runs = 64, [("setup-check", 0.1)]

    watched = {p: ours(os.listdir(p)) for p in {ROOT, os.getcwd(), "/dev/shm"}}
    try:
        loop = LoopVolume(8 * args.file_size_mib + 1024)  # ext4 keeps some for itself
    except BenchError as e:
        print(f"crosscheck_accuracy: cannot make a loop device here: {e}", file=sys.stderr)
        return SKIP if args.smoke else 1
    loop_device, loop_mount = loop.device, loop.mount
    work = tempfile.mkdtemp(prefix="qdt-bench-", dir=os.path.abspath(args.build))
    phases, seconds = [], []
    try:
        os.makedirs(os.path.join(work, "state"))
        agent = Agent(args.build, os.path.join(work, "state"))
        try:
            for profile, scale in runs:
                before = listing(loop.mount)
                p, s = run_profile(agent, loop, profile, scale, args.file_size_mib)
                if listing(loop.mount) != before:
                    raise BenchError(f"{profile}: the agent left {sorted(listing(loop.mount) - before)[:5]}")
                phases += p
                seconds.append(s)
                for ph in p:
                    print(f"{profile} {ph['phase']}: fio {ph['fio_gb']:.2f} GB, drive {ph['drive_gb']:.2f} GB,"
                          f" drive/fio {ph['ratio']:.4f}", flush=True)
                print(f"{profile}: per second |drive - fio| median {s['median_mb_s']:.1f} MB/s "
                      f"({s['median_pct']:.2f} %), p90 {s['p90_mb_s']:.1f} MB/s ({s['p90_pct']:.2f} %) "
                      f"over {s['judged']} of {s['samples']} samples", flush=True)
        finally:
            agent.stop()
    except BenchError as e:
        print(f"crosscheck_accuracy: {e}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
        loop.close()
    # Nothing left: the loop device detached, its image and mount point gone.
    attached = run(["losetup", "-a"])
    if loop_device + ":" in attached and "qdt-bench-loop" in attached:
        print(f"crosscheck_accuracy: {loop_device} is still attached", file=sys.stderr)
        return 1
    if os.path.exists(loop_mount):
        print(f"crosscheck_accuracy: left behind {loop_mount}", file=sys.stderr)
        return 1
    for path, before in watched.items():
        left = ours(os.listdir(path)) - before
        if left:
            print(f"crosscheck_accuracy: left behind in {path}: {sorted(left)[:5]}", file=sys.stderr)
            return 1
    print("nothing left behind")
    if args.markdown:
        print("\n| profile | phase | fio GB | drive GB | drive / fio | fio MB/s | drive MB/s |")
        print("|---|---|---|---|---|---|---|")
        for ph in phases:
            print(f"| {ph['profile']} | {ph['phase']} | {ph['fio_gb']:.2f} | {ph['drive_gb']:.2f} | "
                  f"{ph['ratio']:.4f} | {ph['fio_mb_s']:.0f} | {ph['drive_mb_s']:.0f} |")
        print("\n| profile | samples judged | median abs(drive - fio) | p90 abs(drive - fio) |")
        print("|---|---|---|---|")
        for s in seconds:
            print(f"| {s['profile']} x{s['scale']:g} | {s['judged']} | {s['median_mb_s']:.1f} MB/s "
                  f"({s['median_pct']:.2f} %) | {s['p90_mb_s']:.1f} MB/s ({s['p90_pct']:.2f} %) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
