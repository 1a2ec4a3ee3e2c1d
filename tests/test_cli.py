"""The ``rapport`` command as operators and newcomers use it: real processes, real PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from rapport.db.database import Database

RAPPORT = str(Path(sys.executable).parent / "rapport")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env.update(extra)
    return env


def _run(*args: str, env: dict[str, str], cwd: Path | None = None) -> dict[str, Any]:
    done = subprocess.run([RAPPORT, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _query(url: str, token: str, query: str) -> httpx.Response:
    return httpx.post(url, json={"query": query}, headers={"Authorization": f"Bearer {token}"}, timeout=30)


@pytest.fixture(scope="module")
def owner_url(database: Database) -> str:
    return database.owner_url.render_as_string(hide_password=False)


def test_tenant_and_token_create(owner_url: str) -> None:
    env = _env(RAPPORT_DATABASE_URL=owner_url)
    created = _run("tenant", "create", "--name", "Acme Trading", "--json", env=env)
    assert set(created) == {"tenant_id", "slug", "token"}
    assert created["slug"].startswith("acme-trading")
    again = _run("tenant", "create", "--name", "Acme Trading", "--json", env=env)
    assert again["slug"] != created["slug"]
    for key in (created["slug"], created["tenant_id"]):
        issued = _run("token", "create", "--tenant", key, "--role", "viewer", "--json", env=env)
        assert issued["role"] == "VIEWER"
        assert issued["token"] != created["token"]


def test_token_create_refuses_unknown_tenant_and_role(owner_url: str) -> None:
    env = _env(RAPPORT_DATABASE_URL=owner_url)
    for args in (["--tenant", "no-such-tenant"], ["--tenant", "no-such-tenant", "--role", "emperor"]):
        done = subprocess.run(
            [RAPPORT, "token", "create", *args, "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode != 0
        assert "Traceback" not in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_healthy(base: str, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "rapport serve exited early"
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.3)
    raise AssertionError("rapport serve did not become healthy")


def test_serve_quick_start_end_to_end(tmp_path: Path) -> None:
    """The README's serve path: embedded PostgreSQL, migrations, demo tenant, token, GraphiQL, a second CLI
    process on the same data, and a clean stop on Ctrl-C."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = _env()
    with (tmp_path / "serve.log").open("w+") as log:
        _serve_twice(tmp_path, env, log, port, base)


def _serve_twice(tmp_path: Path, env: dict[str, str], log: Any, port: int, base: str) -> None:
    proc = subprocess.Popen(
        [RAPPORT, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        _wait_healthy(base, proc)
        log.seek(0)
        output = log.read()
        token = output.split("admin token: ", 1)[1].split()[0]
        assert f"{base}/graphql" in output
        assert httpx.get(f"{base}/readyz", timeout=10).json()["status"] == "ready"
        assert "graphiql" in httpx.get(f"{base}/graphql", headers={"Accept": "text/html"}, timeout=10).text.lower()
        data = _query(f"{base}/graphql", token, "{ customers(first: 100) { totalCount } }").json()["data"]
        assert data["customers"]["totalCount"] >= 50
        # A second process in the same directory uses the same embedded database while the server runs.
        created = _run("tenant", "create", "--name", "Second Process", "--json", env=env, cwd=tmp_path)
        answer = _query(f"{base}/graphql", created["token"], "{ customers(first: 1) { totalCount } }").json()
        assert answer["data"] == {"customers": {"totalCount": 0}}
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=60)
    assert not (tmp_path / ".rapport" / "pgdata" / "postmaster.pid").exists(), "embedded PostgreSQL still running"
    # A second start keeps the data and seeds nothing twice.
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [RAPPORT, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        _wait_healthy(base, proc)
        token = _run("token", "create", "--tenant", "demo", "--json", env=env, cwd=tmp_path)["token"]
        data = _query(f"{base}/graphql", token, "{ customers(first: 100) { totalCount } }").json()["data"]
        assert data["customers"]["totalCount"] == 50
    finally:
        # systemd and Docker stop with SIGTERM: the embedded database must stop with the server then too.
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    assert not (tmp_path / ".rapport" / "pgdata" / "postmaster.pid").exists(), "SIGTERM left PostgreSQL running"
