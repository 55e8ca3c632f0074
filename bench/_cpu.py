"""CPU-seconds of the system's processes, from /proc: honcho's session (services, gateway, SMTP sink),
PostgreSQL (the postmaster and its backends) and the Kafka broker of this profile. Two samples' difference,
grouped by process name, is what a measured window cost each of them."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, int, int, float] | None:
    """(ppid, session id, pid, cpu seconds incl. reaped children) of a process, None when gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return int(fields[1]), int(fields[3]), pid, (utime + stime + cutime + cstime) / TICKS


def _name(pid: int) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [os.path.basename(a.decode(errors="replace")) for a in argv if a]
    for w in words:  # `.venv/bin/python .venv/bin/bookings-worker` → bookings-worker (or bookings-service)
        if w.endswith(("-api", "-worker", "-service")):
            return w
    return words[0] if words else "?"


def _pidfile(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def sample(session: int, data_dir: str) -> dict[str, float]:
    """Process name → CPU-seconds so far, for the system started in `session` with data under `data_dir`."""
    stats = [s for p in os.listdir("/proc") if p.isdigit() and (s := _stat(int(p))) is not None]
    children: dict[int, list[int]] = defaultdict(list)
    for ppid, _, pid, _ in stats:
        children[ppid].append(pid)
    by_pid = {pid: (sid, cpu) for _, sid, pid, cpu in stats}
    out: dict[str, float] = defaultdict(float)

    def descendants(root: int | None) -> set[int]:
        found, todo = set(), [root] if root in by_pid else []
        while todo:
            pid = todo.pop()
            found.add(pid)
            todo.extend(children.get(pid, ()))
        return found

    def tree(root: int | None, label: str) -> None:
        for pid in descendants(root):
            out[label] += by_pid[pid][1]

    ours = descendants(session) | {pid for pid, (sid, _) in by_pid.items() if sid == session}
    for pid in ours - {session}:
        out[_name(pid)] += by_pid[pid][1]
    tree(_pidfile(Path(data_dir) / "pg" / "postmaster.pid"), "postgres")
    tree(_pidfile(Path(data_dir) / "kafka" / "broker.pid"), "kafka")
    return dict(out)


def delta(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {k: after[k] - before.get(k, 0.0) for k in after if after[k] - before.get(k, 0.0) > 0.005}
