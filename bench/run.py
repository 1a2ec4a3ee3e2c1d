"""``rapport bench``: load a preset, start a real server, drive every scenario and its floor, report.

Process layout (two CPUs or more): the API server (``rapport serve``, one uvicorn worker) is pinned to CPU
0, each driver process to CPU 1; PostgreSQL and this orchestrating process are not pinned.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import text

from bench import compare, floor, generate, report
from bench.presets import PRESETS
from bench.procs import parent_of, taskset_prefix
from bench.scenarios import SCENARIOS, BenchData, Scenario, count_objects, schema_build
from rapport.config import Settings, get_settings
from rapport.customfields.service import load_definitions
from rapport.db import embedded
from rapport.db.database import Database, open_database
from rapport.tenant_settings import TenantSettings
from rapport.tenants import enter_tenant, issue_token

REPO = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO / "bench" / "results"
SERVER_CPU, DRIVER_CPU = 0, 1
PACED_CONNECTIONS = 64  # an open loop's requests wait for a free connection only when this many are out


@dataclass
class Options:
    preset: str = "small"
    seed: int = 42
    duration: float = 5.0
    warmup: float = 1.0
    concurrency: int = 8
    scenarios: tuple[str, ...] = tuple(SCENARIOS)
    floor: bool = True
    fresh: bool = False
    rate: float | None = None  # replaces the open-loop rate of scenarios that have one (0: no open-loop run)
    data_dir: Path = Path(".rapport/bench")
    results_dir: Path = RESULTS_DIR
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Prepared:
    load: generate.LoadReport
    data: BenchData
    postgres_version: str
    postmaster_pid: int | None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _postmaster(backend_pid: int) -> int | None:
    """PostgreSQL's postmaster when the server runs on this machine (its CPU is read from /proc)."""
    parent = parent_of(backend_pid)
    try:
        name = Path(f"/proc/{parent}/comm").read_text().strip()
    except OSError:
        return None
    return parent if parent is not None and "postgres" in name else None


def _load_times_file(options: Options) -> Path:
    return options.results_dir / "load-times.json"


def _remember_load(options: Options, load: generate.LoadReport) -> float | None:
    """Keep load times (by tenant id) so a run that reuses the data still reports how long loading took."""
    path = _load_times_file(options)
    try:
        known: dict[str, float] = json.loads(path.read_text())
    except (OSError, ValueError):
        known = {}
    for tenant in load.tenants:
        if tenant.seconds is not None:
            known[str(tenant.ref.id)] = tenant.seconds
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(known, indent=1))
    times = [known.get(str(t.ref.id)) for t in load.tenants]
    return None if any(t is None for t in times) else sum(t for t in times if t is not None)


async def _prepare(options: Options, database: Database, base_url: str) -> Prepared:
    preset = PRESETS[options.preset]
    engine = database.owner_engine()
    try:
        load = await generate.load(engine, preset, options.seed)
        main = load.tenants[0]  # the largest tenant: every scenario runs there
        async with engine.begin() as conn:
            token = await issue_token(conn, main.ref, "ADMIN", name="rapport bench")
            await enter_tenant(conn, main.ref.id)
            # Customers earlier runs' `create` scenario added would change what the other scenarios read
            # (their recent signup dates sort first in customFilter): every run starts from the loaded data.
            await conn.execute(
                text("DELETE FROM customers WHERE tenant_id = :t AND name LIKE 'Bench Person %'"), {"t": main.ref.id}
            )
            settings = (
                await conn.execute(text("SELECT settings FROM tenants WHERE id = :t"), {"t": main.ref.id})
            ).scalar_one()
            # Customers the `create` scenario added in earlier runs are left out, so variants stay the same.
            ids = (
                await conn.execute(
                    text(
                        "SELECT id FROM customers WHERE tenant_id = :t AND deleted_at IS NULL "
                        "AND name NOT LIKE 'Bench Person %' ORDER BY id"
                    ),
                    {"t": main.ref.id},
                )
            ).scalars()
            customer_ids = list(ids)
            definitions = {d.key: d for d in await load_definitions(conn, main.ref.id) if d.entity == "CUSTOMER"}
            version = " ".join(str((await conn.execute(text("SELECT version()"))).scalar_one()).split()[:2])
            version += " (shared_buffers " + (await conn.execute(text("SHOW shared_buffers"))).scalar_one() + ")"
            backend = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with engine.connect() as conn:  # their index entries too (VACUUM runs outside a transaction)
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM (ANALYZE) customers"))
    finally:
        await engine.dispose()
    data = BenchData(
        base_url=base_url,
        token=token,
        tenant_id=main.ref.id,
        currency=TenantSettings.from_json(settings).currency,
        customer_ids=customer_ids,
        definitions=definitions,
    )
    return Prepared(load, data, version, _postmaster(backend))


class Server:
    """``rapport serve`` on the bench database, in a subprocess pinned to one CPU."""

    def __init__(self, settings: Settings, port: int, log: Path) -> None:
        self.port = port
        self.log = log
        env = {**os.environ, "RAPPORT_LOG_LEVEL": "warning", "RAPPORT_DEMO": "false"}
        if not settings.database_url:
            env["RAPPORT_DATA_DIR"] = str(settings.data_dir)
        script = Path(sys.executable).with_name("rapport")
        command = [str(script)] if script.exists() else [sys.executable, "-c", "from rapport.cli import app; app()"]
        self.command = [
            *taskset_prefix(SERVER_CPU),
            *command,
            "serve",
            "--no-demo",
            "--no-migrate",
            "--port",
            str(port),
        ]
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90) -> None:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(self.command, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited; see {self.log}:\n{self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not become ready in {timeout:.0f} s; see {self.log}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        # SIGINT, not SIGTERM: uvicorn re-raises the signal after its graceful shutdown, and only SIGINT (as
        # KeyboardInterrupt) lets `rapport serve` release its handle on the embedded database, which then
        # stops with the last process using it.
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _drive(module: str, spec: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Run a driver process (pinned) on a spec; its last output line is the JSON result."""
    path = workdir / f"{module.rsplit('.', 1)[-1]}-{uuid.uuid4().hex[:6]}.json"
    path.write_text(json.dumps(spec))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    command = [*taskset_prefix(DRIVER_CPU), sys.executable, "-m", module, str(path)]
    timeout = spec["warmup"] + spec["duration"] + 120
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _conninfo(database: Database) -> str:
    return database.app_url.set(drivername="postgresql").render_as_string(hide_password=False)


def _check(scenario: Scenario, data: BenchData, variant: Any, database: Database) -> dict[str, Any]:
    """One request before timing: the answer must have no errors, and match the floor's data."""
    answer = data.graphql(scenario.query, variant.variables)
    if answer.get("errors"):
        raise RuntimeError(f"{scenario.name}: the API answered with errors: {answer['errors']}")
    checked: dict[str, Any] = {"objects": count_objects(answer["data"])}
    if scenario.reads and variant.floor is not None:
        found = floor.fetch_once(
            _conninfo(database),
            database.switch_to_role,
            str(data.tenant_id),
            floor.FLOOR_SQL[scenario.name],
            variant.floor,
        )
        problems = compare.differences(compare.api_payload(scenario.name, answer["data"]), compare.floor_json(found))
        checked["floor_matches"] = not problems
        checked["floor_differences"] = problems
    return checked


def _run_scenario(
    scenario: Scenario,
    options: Options,
    prepared: Prepared,
    server: Server,
    database: Database,
    workdir: Path,
    console: Console,
) -> dict[str, Any]:
    entry: dict[str, Any] = {"description": scenario.description, "target": scenario.target}
    if scenario.name == "schemaBuild":
        entry["api"] = schema_build(options.duration, options.warmup)
        return entry
    data = prepared.data
    variants = scenario.variants(data, random.Random(f"{options.seed}:{scenario.name}"))
    if not variants:
        console.print(f"[yellow]{scenario.name}: no variants (too little data?); skipped[/yellow]")
        return entry
    entry["variants"] = len(variants)
    entry["check"] = _check(scenario, data, variants[0], database)
    if entry["check"].get("floor_matches") is False:
        differences = entry["check"]["floor_differences"]
        console.print(f"[yellow]{scenario.name}: the floor's data differs from the API's: {differences}[/yellow]")
    common = {
        "concurrency": options.concurrency,
        "warmup": options.warmup,
        "duration": options.duration,
        "postmaster_pid": prepared.postmaster_pid,
    }
    api = {
        **common,
        "host": "127.0.0.1",
        "port": server.port,
        "token": data.token,
        "bodies": [json.dumps({"query": scenario.query, "variables": v.variables}) for v in variants],
        "expect": scenario.expect,
        "app_pid": server.pid,
    }
    entry["api"] = _drive("bench.load", api, workdir)
    paced = scenario.paced if options.rate is None or not scenario.paced else options.rate
    if paced:
        entry["paced"] = _drive("bench.load", {**api, "concurrency": PACED_CONNECTIONS, "rate": paced}, workdir)
    for run in ("api", "paced"):
        if entry.get(run, {}).get("errors"):
            console.print(
                f"[red]{scenario.name}: {entry[run]['errors']} errors, e.g. {entry[run]['first_error']}[/red]"
            )
    if options.floor and scenario.reads:
        entry["floor"] = _drive(
            "bench.floor",
            {
                **common,
                "conninfo": _conninfo(database),
                "role": database.switch_to_role,
                "tenant": str(data.tenant_id),
                "sql": floor.FLOOR_SQL[scenario.name],
                "params": [v.floor for v in variants],
            },
            workdir,
        )
    return entry


# PostgreSQL's default (128MB) caches a thirtieth of the medium data set (4.4 GB): not how a server for this
# database would run. 2GB stays under the usual advice of a quarter of the memory on machines of 8 GB and more.
SHARED_BUFFERS = "2GB"


def _sized(database: Database, settings: Settings) -> Database:
    """The embedded bench cluster, restarted with ``SHARED_BUFFERS`` if it runs with less. An external database
    (``RAPPORT_DATABASE_URL``) is its operator's to size; the results name the setting either way."""
    server = database.server
    if server is None or f" {SHARED_BUFFERS}" in server.psql("SHOW shared_buffers;"):
        return database
    server.psql(f"ALTER SYSTEM SET shared_buffers = '{SHARED_BUFFERS}';")
    database.close()  # stops the cluster when this process was its only user (otherwise the setting waits)
    return open_database(settings)


def run(options: Options, console: Console | None = None) -> dict[str, Any]:
    """Run the harness; returns the results (also printed, and written as JSON)."""
    console = console or Console()
    if options.preset not in PRESETS:
        raise SystemExit(f"unknown preset {options.preset!r}; choose one of {', '.join(PRESETS)}")
    unknown = [name for name in options.scenarios if name not in SCENARIOS]
    if unknown:
        raise SystemExit(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    preset = PRESETS[options.preset]
    if not preset.runnable:
        raise SystemExit(f"the {preset.name} preset is documented, not run ({preset.description})")
    settings = get_settings()
    if not settings.database_url:
        settings = settings.model_copy(update={"data_dir": options.data_dir})
        if options.fresh:
            embedded.remove(settings.data_dir.expanduser().resolve())
    elif options.fresh:
        raise SystemExit("--fresh removes the embedded bench database; with RAPPORT_DATABASE_URL, use a new database")
    started = dt.datetime.now(dt.UTC)
    database = _sized(open_database(settings), settings)
    workdir = Path(tempfile.mkdtemp(prefix="rapport-bench-"))
    try:
        from rapport.cli import migrate_database

        migrate_database(database)
        port = _free_port()
        prepared = asyncio.run(_prepare(options, database, f"http://127.0.0.1:{port}"))
        earlier = _remember_load(options, prepared.load)
        server = Server(settings, port, workdir / "server.log")
        server.start()
        pinned = bool(taskset_prefix(SERVER_CPU))
        results: dict[str, Any] = {
            "run": {
                "started": started.strftime("%Y-%m-%d %H:%M UTC"),
                "preset": options.preset,
                "seed": options.seed,
                "duration": options.duration,
                "warmup": options.warmup,
                "concurrency": options.concurrency,
                "pinning": "API server on CPU 0 and drivers on CPU 1 (taskset); PostgreSQL not pinned"
                if pinned
                else "none (taskset missing or one CPU)",
                "server": " ".join(server.command),
                "pool_size": settings.pool_size,
            },
            "machine": report.machine(prepared.postgres_version),
            "load": {**prepared.load.as_json(), "earlier_seconds": earlier},
            "scenarios": {},
        }
        try:
            for name in options.scenarios:
                console.print(f"[bold]{name}[/bold] …")
                results["scenarios"][name] = _run_scenario(
                    SCENARIOS[name], options, prepared, server, database, workdir, console
                )
        finally:
            server.stop()
    finally:
        database.close()
    results["run"]["seconds"] = (dt.datetime.now(dt.UTC) - started).total_seconds()
    report.print_table(results, console)
    path = report.write_json(results, options.results_dir)
    console.print(f"results: {path}  (server log: {workdir / 'server.log'})")
    return results
