"""CPU time of processes, read from /proc (Linux): the API server, PostgreSQL, the drivers themselves."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may contain spaces and parentheses: fields start after the last ')'.
    return raw[raw.rindex(")") + 2 :].split()


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process (all its threads), or None when it cannot be read."""
    fields = _stat(pid)
    if fields is None:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


def parent_of(pid: int) -> int | None:
    fields = _stat(pid)
    return None if fields is None else int(fields[1])


def tree_cpu_seconds(root: int) -> float | None:
    """CPU of a process, its live children, and its children that exited (PostgreSQL's postmaster: every
    backend and helper process). A backend that exits between two readings is still counted once."""
    fields = _stat(root)
    if fields is None:
        return None
    total = sum(int(fields[i]) for i in (11, 12, 13, 14)) / TICK  # utime, stime, cutime, cstime
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        child = _stat(int(entry.name))
        if child is not None and int(child[1]) == root:
            total += (int(child[11]) + int(child[12])) / TICK
    return total


def taskset_prefix(cpu: int | None) -> list[str]:
    """``taskset -c N`` when pinning is possible (at least two CPUs and taskset installed)."""
    if cpu is None or shutil.which("taskset") is None or (os.cpu_count() or 1) < 2:
        return []
    return ["taskset", "-c", str(cpu)]
