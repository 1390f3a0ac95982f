"""Shared parts of the QDT benchmarks: a real qdt-agent process, qdtctl, fio
output, a loop device of the benchmark's own, and the check that a benchmark
leaves nothing behind."""
import json
import os
import re
import signal
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    """A benchmark that cannot measure what it says (exit 1, the reason printed)."""


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
    """fio's own mean: io_bytes of every job over the longest job's runtime."""
    jobs = report["jobs"]
    runtime = max(j["read"]["runtime"] for j in jobs)
    if runtime <= 0:
        raise BenchError("fio's report has no runtime")
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


def run(cmd, **kw):
    """A command that must succeed; its output in the error when it does not."""
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise BenchError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip() or p.stdout.strip()}")
    return p.stdout


class Agent:
    """A real qdt-agent on loopback with its own state folder."""

    def __init__(self, build, state):
        self.build = build = os.path.abspath(build)
        self.state = state = os.path.abspath(state)
        port_file = os.path.join(state, "agent.port")
        self.log = open(os.path.join(state, "agent.log"), "w")
        cmd = [os.path.join(build, "agent", "qdt-agent"), "--listen", "127.0.0.1:0",
               "--port-file", port_file, "--state-dir", state,
               "--token-file", os.path.join(state, "token")]
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(400):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            if self.proc.poll() is not None:
                raise BenchError(f"qdt-agent exited {self.proc.returncode}; see {self.log.name}")
            time.sleep(0.05)
        else:
            raise BenchError("qdt-agent did not start within 20 s")
        self.address = "127.0.0.1:" + open(port_file).read().strip()

    def ctl(self):
        return [os.path.join(self.build, "console", "qdtctl"), "--agent", self.address,
                "--token-file", os.path.join(self.state, "token")]

    def record(self, run_id):
        """The whole run record (qdtctl get --json)."""
        return json.loads(run(self.ctl() + ["get", run_id, "--json"]))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
        self.log.close()


# What a benchmark (or the fio it runs) could leave in a folder it shares with
# others (the repository root, the current folder, /dev/shm): only such names
# are looked for there, so tests running alongside do not count.
OURS = re.compile(r"^(stream-\d+\.(dat|prerun\.txt)|gate-\d+(-\d+)?\.fifo|raw\.fio|layout\.fio"
                  r"|phase-\d+\.fio|\.qdt-|qdt-bench)")


def ours(names):
    return {n for n in names if OURS.match(n)}


def listing(path):
    """Every path under `path` (relative), for the nothing-left-behind check."""
    out = set()
    for dirpath, dirnames, filenames in os.walk(path):
        rel = os.path.relpath(dirpath, path)
        for name in dirnames + filenames:
            out.add(os.path.normpath(os.path.join(rel, name)))
    return out


class LoopVolume:
    """ext4 on a loop device over a file in /dev/shm: a steady device that
    nothing else reads (root only). Removed completely on close()."""

    def __init__(self, size_mib):
        if os.geteuid() != 0:
            raise BenchError("a loop device needs root")
        fd, self.image = tempfile.mkstemp(prefix="qdt-bench-loop-", suffix=".img", dir="/dev/shm")
        os.close(fd)
        self.device = self.mount = None
        try:
            os.truncate(self.image, size_mib << 20)
            self.device = run(["losetup", "--find", "--show", self.image]).strip()
            run(["mkfs.ext4", "-q", "-F", self.device])
            self.mount = tempfile.mkdtemp(prefix="qdt-bench-mnt-")
            run(["mount", self.device, self.mount])
        except Exception:
            self.close()
            raise

    def close(self):
        if self.mount:
            subprocess.run(["umount", self.mount], capture_output=True)
            os.rmdir(self.mount)
            self.mount = None
        if self.device:
            subprocess.run(["losetup", "-d", self.device], capture_output=True)
            self.device = None
        if self.image and os.path.exists(self.image):
            os.unlink(self.image)
            self.image = None


def device_of(path):
    """(major, minor, name) of the block device `path`'s file system is on, or
    None when /proc/diskstats has no such device (tmpfs, overlay, ...)."""
    dev = os.stat(path).st_dev
    major, minor = os.major(dev), os.minor(dev)
    with open("/proc/diskstats") as f:
        for line in f:
            fields = line.split()
            if int(fields[0]) == major and int(fields[1]) == minor:
                return major, minor, fields[2]
    return None


def device_read_bytes(device):
    """The device's cumulative bytes read (sectors read x 512), or None."""
    if device is None:
        return None
    with open("/proc/diskstats") as f:
        for line in f:
            fields = line.split()
            if int(fields[0]) == device[0] and int(fields[1]) == device[1]:
                return int(fields[5]) * 512
    return None
