"""Faults: the database going away and coming back, connections killed under load, an exhausted pool, and a
graceful shutdown of a real server. Each test uses a throwaway PostgreSQL of its own module (stopped and
started by the tests), never the session's database. Run with -s to see the measured figures."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pgserver import _commands as pg_commands
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import AsyncEngine

from rapport.db import migrate
from rapport.db.database import Database, open_database
from rapport.tenants import create_tenant
from tests.trust.support import app_client, codes, free_port, settings_with

COUNT = "{ customers(first: 5) { totalCount nodes { id contacts(first: 3) { totalCount } } } }"
CONNECT_TIMEOUT_S = 2.0


@pytest.fixture(scope="module")
def cluster() -> Iterator[Database]:
    data_dir = Path(tempfile.mkdtemp(prefix="rapport-faults-"))
    database = open_database(settings_with(), data_dir=data_dir, temporary=True)
    migrate.upgrade(database.owner_url)
    try:
        yield database
    finally:
        database.close()


def stop_cluster(database: Database) -> None:
    assert database.server is not None
    handle = database.server.handle
    stop = pg_commands.pg_ctl  # type: ignore[attr-defined]  # generated at import from the binaries
    stop(["-w", "-m", "fast", "stop"], pgdata=handle.pgdata, user=handle.system_user, timeout=60)


def start_cluster(database: Database) -> None:
    assert database.server is not None
    database.server.handle.ensure_postgres_running()


@pytest.fixture
async def cluster_owner(cluster: Database) -> AsyncIterator[AsyncEngine]:
    engine = cluster.owner_engine()
    yield engine
    await engine.dispose()


async def new_token(owner: AsyncEngine, name: str) -> str:
    async with owner.begin() as conn:
        created = await create_tenant(conn, name)
    return created.token


def fault_settings(**overrides: Any) -> Any:
    return settings_with(**{"connect_timeout_s": CONNECT_TIMEOUT_S, "pool_timeout_s": 2.0, **overrides})


async def post(client: httpx.AsyncClient, token: str, query: str = COUNT) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await client.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"})
    return response, time.perf_counter() - started


async def test_database_stopped_fails_fast_and_recovers_without_restart(
    cluster: Database, cluster_owner: AsyncEngine
) -> None:
    token = await new_token(cluster_owner, "Faults Restart")
    await cluster_owner.dispose()
    async with app_client(cluster, fault_settings()) as client:
        warm = await asyncio.gather(*(post(client, token) for _ in range(8)))
        assert [r.status_code for r, _ in warm] == [200] * 8

        await asyncio.to_thread(stop_cluster, cluster)
        try:
            down = await asyncio.gather(*(post(client, token) for _ in range(10)))
            for response, elapsed in down:
                assert response.status_code == 503, response.text
                assert codes(response) == ["SERVICE_UNAVAILABLE"]
                assert response.headers["content-type"].startswith("application/json")
                # Refused connections fail at once; the margin over the connect timeout is for a busy machine.
                assert elapsed < 3 * CONNECT_TIMEOUT_S, elapsed
            assert (await client.get("/readyz")).status_code == 503
            assert (await client.get("/healthz")).status_code == 200
            slowest_down = max(elapsed for _, elapsed in down)
        finally:
            restart_began = time.perf_counter()
            await asyncio.to_thread(start_cluster, cluster)
        started = time.perf_counter()

        attempts = Counter[int]()
        while True:
            response, _ = await post(client, token)
            attempts[response.status_code] += 1
            assert response.status_code in (200, 503), response.text
            if response.status_code == 200:
                break
            assert time.perf_counter() - started < 10, "no recovery within 10 s"
            await asyncio.sleep(0.02)
        recovered = time.perf_counter()
        after = await asyncio.gather(*(post(client, token) for _ in range(20)))
        assert [r.status_code for r, _ in after] == [200] * 20
        print(
            f"\n[faults] database stopped: slowest answer {slowest_down * 1000:.0f} ms (503 SERVICE_UNAVAILABLE); "
            f"restart took {(started - restart_began) * 1000:.0f} ms; first success "
            f"{(recovered - started) * 1000:.0f} ms after the database was back "
            f"({(recovered - restart_began) * 1000:.0f} ms after the restart began); attempts {dict(attempts)}"
        )


async def test_backends_terminated_under_load(cluster: Database, cluster_owner: AsyncEngine) -> None:
    token = await new_token(cluster_owner, "Faults Terminate")
    outcomes: Counter[str] = Counter()
    killed = 0
    async with app_client(cluster, fault_settings(pool_size=8, pool_max_overflow=8)) as client:

        async def worker(n: int) -> None:
            for i in range(12):
                query = (
                    COUNT
                    if (n + i) % 3
                    else f'mutation {{ customerCreate(input: {{kind: PERSON, name: "W{n}-{i}"}}) '
                    "{ customer { id } userErrors { code } } }"
                )
                response, _ = await post(client, token, query)
                found = codes(response)
                outcomes[f"{response.status_code} {','.join(found) or 'ok'}"] += 1

        async def killer() -> None:
            nonlocal killed
            for _ in range(6):
                await asyncio.sleep(0.05)
                async with cluster_owner.connect() as conn:
                    result = await conn.execute(
                        text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE application_name = 'rapport' AND pid <> pg_backend_pid()"
                        )
                    )
                    killed += int(result.scalar_one())
                    await conn.commit()

        await asyncio.gather(killer(), *(worker(n) for n in range(24)))
        allowed = {"200 ok", "503 SERVICE_UNAVAILABLE"}
        assert set(outcomes) <= allowed, outcomes
        assert killed > 0
        # Afterwards every request works again: dead pooled connections are noticed and replaced.
        after = await asyncio.gather(*(post(client, token) for _ in range(30)))
        assert [r.status_code for r, _ in after] == [200] * 30
    print(f"\n[faults] pg_terminate_backend: {killed} app connections killed during 288 requests: {dict(outcomes)}")


async def test_connections_closed_while_idle_cost_no_request(cluster: Database, cluster_owner: AsyncEngine) -> None:
    """Pooled connections the server closed (a restart, an idle timeout) are found by a request's first
    statement, which then starts again on a fresh connection: no error reaches the client, and no request
    pays a ping beforehand."""
    token = await new_token(cluster_owner, "Faults Idle")
    async with app_client(cluster, fault_settings(pool_size=4, pool_max_overflow=0)) as client:
        warm = await asyncio.gather(*(post(client, token) for _ in range(4)))
        assert [r.status_code for r, _ in warm] == [200] * 4
        async with cluster_owner.connect() as conn:
            result = await conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'rapport' AND pid <> pg_backend_pid()"
                )
            )
            assert int(result.scalar_one()) >= 1
        for query in (
            COUNT,
            'mutation { customerCreate(input: {kind: PERSON, name: "Idle retry"}) { userErrors { code } } }',
        ):
            for _ in range(6):
                response, _ = await post(client, token, query)
                assert response.status_code == 200, response.text
                assert not codes(response), response.text


async def waiting_on_a_lock(owner: AsyncEngine, task: asyncio.Task[Any]) -> None:
    """Until a session waits on a lock (the request under test), however slow the machine."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert not task.done(), task.result()
        async with owner.connect() as conn:
            waiting = await conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"))
            if waiting.scalar_one():
                return
        await asyncio.sleep(0.02)
    raise AssertionError("the request never waited for the lock")


async def test_an_exhausted_pool_fails_fast(cluster: Database, cluster_owner: AsyncEngine) -> None:
    token = await new_token(cluster_owner, "Faults Pool")
    settings = fault_settings(pool_size=1, pool_max_overflow=0, pool_timeout_s=1.0)
    async with app_client(cluster, settings) as client, cluster_owner.connect() as locker:
        await locker.begin()
        await locker.execute(text("LOCK TABLE customers IN ACCESS EXCLUSIVE MODE"))
        holder = asyncio.create_task(post(client, token))  # takes the only connection and waits for the lock
        await waiting_on_a_lock(cluster_owner, holder)
        response, elapsed = await post(client, token, "{ __typename }")
        assert response.status_code == 503, response.text
        assert codes(response) == ["SERVICE_UNAVAILABLE"]
        # It waited out the pool timeout; without one it would wait for the lock, held until this test ends.
        assert elapsed >= 1.0
        await locker.rollback()
        held, _ = await holder
        assert held.status_code == 200, held.text


def test_graceful_shutdown_finishes_in_flight_requests(cluster: Database, tmp_path: Path) -> None:  # noqa: PLR0915
    """SIGTERM: the listening socket closes at once, the request in flight still completes and commits."""
    rapport_cli = str(Path(sys.executable).parent / "rapport")
    owner_url = cluster.owner_url.render_as_string(hide_password=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env.update(RAPPORT_DATABASE_URL=owner_url, RAPPORT_STATEMENT_TIMEOUT_MS="60000", RAPPORT_LOG_LEVEL="warning")
    token = (
        subprocess.run(
            [rapport_cli, "tenant", "create", "--name", "Faults Shutdown", "--json"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    token = __import__("json").loads(token)["token"]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("w+")
    proc = subprocess.Popen(
        [rapport_cli, "serve", "--port", str(port), "--no-migrate"],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    sync_owner = create_engine(cluster.owner_url)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.seek(0) or log.read()
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        headers = {"Authorization": f"Bearer {token}"}
        created = httpx.post(
            f"{base}/graphql",
            json={
                "query": 'mutation { customerCreate(input: {kind: PERSON, name: "Before"}) '
                "{ customer { id version } userErrors { code } } }"
            },
            headers=headers,
            timeout=10,
        ).json()["data"]["customerCreate"]["customer"]

        in_flight: dict[str, Any] = {}

        def update() -> None:
            started = time.perf_counter()
            try:
                response = httpx.post(
                    f"{base}/graphql",
                    json={
                        "query": "mutation ($id: ID!, $v: Int!) { customerUpdate(id: $id, expectedVersion: $v, "
                        'input: {name: "After"}) { customer { name } userErrors { code } } }',
                        "variables": {"id": created["id"], "v": created["version"]},
                    },
                    headers=headers,
                    timeout=60,
                )
                in_flight["response"] = response
            except httpx.HTTPError as exc:
                in_flight["error"] = exc
            in_flight["seconds"] = time.perf_counter() - started

        with sync_owner.connect() as locker:
            locker.execute(text("SELECT 1 FROM customers WHERE name = 'Before' FOR UPDATE"))
            thread = threading.Thread(target=update)
            thread.start()
            deadline = time.monotonic() + 10
            while not locker.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE application_name = 'rapport' AND wait_event_type = 'Lock'"
                )
            ).scalar_one():
                assert time.monotonic() < deadline, "the update never waited for the lock"
                time.sleep(0.05)

            signalled = time.perf_counter()
            proc.send_signal(signal.SIGTERM)
            refused_after = None
            while refused_after is None and time.perf_counter() - signalled < 10:
                try:
                    httpx.get(f"{base}/healthz", timeout=0.5)
                    time.sleep(0.05)
                except httpx.TransportError:
                    refused_after = time.perf_counter() - signalled
            assert refused_after is not None, "new connections were still accepted 10 s after SIGTERM"
            assert thread.is_alive(), "the in-flight request ended before its lock was released"
            assert proc.poll() is None, "the server exited with a request in flight"
            locker.rollback()  # release the row: the update can finish now
        thread.join(30)
        assert "error" not in in_flight, in_flight
        response = in_flight["response"]
        assert response.status_code == 200, response.text
        assert response.json()["data"] == {"customerUpdate": {"customer": {"name": "After"}, "userErrors": []}}
        returncode = proc.wait(30)
        stopped_after = time.perf_counter() - signalled
        assert returncode in (0, 128 + signal.SIGTERM), returncode
        with sync_owner.connect() as conn:
            names = conn.execute(text("SELECT name FROM customers WHERE name IN ('Before', 'After')")).scalars().all()
        assert names == ["After"]
        print(
            f"\n[faults] SIGTERM: new connections refused after {refused_after * 1000:.0f} ms; the in-flight update "
            f"completed (200, committed) and the server exited {stopped_after:.1f} s after the signal"
        )
    finally:
        sync_owner.dispose()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        log.close()
