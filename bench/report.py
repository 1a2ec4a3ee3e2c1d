"""Results: a rich table on the terminal, a JSON file under bench/results/, and the same table as Markdown
for the README."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

COLUMNS = (
    ("scenario", "Scenario"),
    ("rps", "req/s"),
    ("p50_ms", "p50 ms"),
    ("p99_ms", "p99 ms"),
    ("app_cpu_ms", "API CPU ms/req"),
    ("pg_cpu_ms", "PG CPU ms/req"),
    ("sql_per_request", "SQL/req"),
    ("floor_rps", "floor req/s"),
    ("floor_p50_ms", "floor p50 ms"),
    ("ratio", "API ÷ floor"),
    ("target", "target"),
)


def _fmt(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if key in {"rps", "floor_rps"}:
        return f"{value:,.0f}"
    if key == "ratio":
        return f"{value:.1f}x"
    if key == "sql_per_request":
        return f"{value:.1f}"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per scenario: the API's figures, the floor's, and API p50 ÷ floor p50."""
    made = []
    for name, entry in results["scenarios"].items():
        api, floor = entry.get("api") or {}, entry.get("floor") or {}
        ratio = None
        if api.get("p50_ms") and floor.get("p50_ms"):
            ratio = api["p50_ms"] / floor["p50_ms"]
        errors = api.get("errors") or 0
        made.append(
            {
                "scenario": name + (f" ({errors} errors)" if errors else ""),
                "rps": api.get("rps"),
                "p50_ms": api.get("p50_ms"),
                "p99_ms": api.get("p99_ms"),
                "app_cpu_ms": api.get("app_cpu_ms"),
                "pg_cpu_ms": api.get("pg_cpu_ms"),
                "sql_per_request": api.get("sql_per_request"),
                "floor_rps": floor.get("rps"),
                "floor_p50_ms": floor.get("p50_ms"),
                "ratio": ratio,
                "target": entry.get("target"),
            }
        )
        paced = entry.get("paced")
        if paced:
            errors = paced.get("errors") or 0
            made.append(
                {
                    "scenario": f"{name} at {paced['rate']:,.0f}/s" + (f" ({errors} errors)" if errors else ""),
                    "rps": paced.get("rps"),
                    "p50_ms": paced.get("p50_ms"),
                    "p99_ms": paced.get("p99_ms"),
                    "app_cpu_ms": paced.get("app_cpu_ms"),
                    "pg_cpu_ms": paced.get("pg_cpu_ms"),
                    "sql_per_request": paced.get("sql_per_request"),
                    "floor_rps": None,
                    "floor_p50_ms": None,
                    "ratio": None,
                    "target": "open loop: requests start on a fixed schedule",
                }
            )
    return made


def print_table(results: dict[str, Any], console: Console) -> None:
    if not console.is_terminal:
        console = Console(width=max(console.width, 170))  # logs and pipes: one line per scenario
    table = Table(title=title(results), title_justify="left")
    for key, header in COLUMNS:
        table.add_column(header, justify="left" if key in ("scenario", "target") else "right", no_wrap=key != "target")
    for row in rows(results):
        table.add_row(*(_fmt(key, row[key]) for key, _ in COLUMNS))
    console.print(table)
    for line in notes(results):
        console.print(f"[dim]{line}[/dim]")


def title(results: dict[str, Any]) -> str:
    run = results["run"]
    return (
        f"rapport bench --preset {results['load']['preset']}: {run['concurrency']} clients, "
        f"{run['duration']:g} s per scenario ({run['started']})"
    )


def notes(results: dict[str, Any]) -> list[str]:
    load, machine, run = results["load"], results["machine"], results["run"]
    rows_text = ", ".join(f"{n:,} {table}" for table, n in load["rows"].items() if n)
    loaded = (
        f"loaded in {load['seconds']:.1f} s"
        if load["seconds"] is not None
        else f"reused (loaded earlier in {load['earlier_seconds']:.1f} s)"
        if load.get("earlier_seconds")
        else "reused from an earlier run"
    )
    return [
        f"data{'' if load['seconds'] is not None else ' (rows now, with customers added by create)'}: "
        f"{rows_text}; {loaded}",
        f"machine: {machine['cpu']} ({machine['cpus']} CPUs), {machine['memory_gb']:.0f} GB, "
        f"{machine['postgres']}, Python {machine['python']}; load average at start {machine['loadavg']}",
        f"pinning: {run['pinning']}",
        "CPU ms/req: CPU time of the API process and of all PostgreSQL processes over the measured window, "
        "per request; for schemaBuild, of the build itself. The floor's client CPU is in the JSON.",
        f"indexes: {load['indexes']}",
    ]


def markdown(results: dict[str, Any]) -> str:
    header = "| " + " | ".join(h for _, h in COLUMNS) + " |"
    rule = "|" + "|".join("---" if k in ("scenario", "target") else "---:" for k, _ in COLUMNS) + "|"
    body = ["| " + " | ".join(_fmt(k, row[k]) for k, _ in COLUMNS) + " |" for row in rows(results)]
    return "\n".join([header, rule, *body])


def machine(postgres_version: str) -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    memory_gb = 0.0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory_gb = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gb": memory_gb,
        "python": platform.python_version(),
        "postgres": postgres_version,
        "platform": platform.platform(),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def write_json(results: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"{stamp}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    return path
