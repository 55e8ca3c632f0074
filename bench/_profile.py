"""Where each service's CPU goes during a measured window (`RUSH_PROFILE=1`): py-spy samples every service
process at a low rate, counting only threads that hold the GIL (Python on CPU). It competes for the same
cores, so rates and CPU figures of a profiled run are not comparable with an unprofiled one. The report lists,
per process, the functions most often on CPU: their own code (self) and the service code that called into
them (inclusive)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

RATE = int(os.environ.get("RUSH_PROFILE_RATE", 25))
PY_SPY = Path(sys.executable).with_name("py-spy")
_SITE = re.compile(r"\((?:/[^)]*?/site-packages/|/[^)]*?/(?:libs|services)/[^/]+/src/|/usr/lib/python3\.\d+/)")


def services(root: int) -> dict[str, int]:
    """Service name → pid of the Python service processes below `root` (honcho: each runs in its own session)."""
    parent: dict[int, int] = {}
    argv: dict[int, list[str]] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            args = [a.decode() for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a]
        except OSError:
            continue
        parent[int(pid)], argv[int(pid)] = int(stat[stat.rindex(")") + 2:].split()[1]), args

    def below_root(pid: int) -> bool:
        while pid > 1:
            if pid == root:
                return True
            pid = parent.get(pid, 0)
        return False

    found: dict[str, int] = {}
    for pid, args in argv.items():
        names = [os.path.basename(a) for a in args[1:] if a.endswith(("-api", "-worker", "-service"))]
        if names and args and "python" in os.path.basename(args[0]) and below_root(pid):
            found[names[0]] = pid
    return found


class Profiles:
    """py-spy recorders started on every service; `stop()` → process → raw collapsed stacks."""

    def __init__(self, root: int):
        self.dir = Path(tempfile.mkdtemp(prefix="ep-profile-"))
        self.recorders = {
            name: subprocess.Popen([str(PY_SPY), "record", "--pid", str(pid), "--rate", str(RATE), "--nonblocking",
                                    "--gil", "--format", "raw", "--output", str(self.dir / f"{name}.txt")],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for name, pid in services(root).items()}

    def stop(self) -> dict[str, Path]:
        for recorder in self.recorders.values():
            recorder.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
        for recorder in self.recorders.values():
            recorder.wait(timeout=60)
        return {name: self.dir / f"{name}.txt" for name in self.recorders if (self.dir / f"{name}.txt").exists()}


def _frames(path: Path) -> tuple[int, Counter[str], Counter[str]]:
    samples, own, inclusive = 0, Counter[str](), Counter[str]()
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit() or not stack:
            continue
        frames = [_SITE.sub("(", f) for f in stack.split(";") if f]
        if not frames:
            continue
        count = int(n)
        samples += count
        own[frames[-1]] += count
        for f in set(frames):
            if "_service/" in f or "spine/" in f or "webkit/" in f or "authkit/" in f:
                inclusive[f] += count
    return samples, own, inclusive


def report(files: dict[str, Path], top: int = 8) -> None:
    print(f"== profiles of the rush window (py-spy, {RATE} Hz; shares of each process's on-CPU samples)")
    for name, path in sorted(files.items()):
        samples, own, inclusive = _frames(path)
        if not samples:
            continue
        print(f"  {name}: {samples} samples")
        print("    self:      " + "\n               ".join(
            f"{100 * n / samples:4.1f}% {f[:110]}" for f, n in own.most_common(top)))
        print("    inclusive: " + "\n               ".join(
            f"{100 * n / samples:4.1f}% {f[:110]}" for f, n in inclusive.most_common(top)))
