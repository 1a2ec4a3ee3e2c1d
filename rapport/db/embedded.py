"""A private PostgreSQL cluster for development, demos and tests (the ``pgserver`` wheel ships the binaries).

Several processes started in the same directory share one running cluster: ``pgserver`` counts the processes
holding it and stops the server when the last one exits. Data survives between runs unless ``temporary``.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL

log = logging.getLogger(__name__)

DATABASE = "rapport"


@dataclass(frozen=True)
class EmbeddedServer:
    handle: Any
    socket_dir: str
    data_dir: Path

    def url(self, user: str, database: str = DATABASE) -> URL:
        return URL.create("postgresql+psycopg", username=user, database=database, query={"host": self.socket_dir})

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the cluster's superuser (bootstrap only: roles and the database)."""
        out: str = self.handle.psql(f"\\c {database}\n{sql}")
        return out

    def stop(self) -> None:
        self.handle.cleanup()


def start(data_dir: Path, *, app_role: str, temporary: bool = False) -> EmbeddedServer:
    """Start (or join) the cluster under ``data_dir``; ensure the app role and database exist."""
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); pgserver then uses /tmp.
            warnings.simplefilter("ignore")
            import pgserver
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            "RAPPORT_DATABASE_URL is unset and the embedded PostgreSQL is not installed: "
            "pip install 'rapport[embedded]' or set RAPPORT_DATABASE_URL"
        ) from exc

    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / "pgdata"
    try:
        mode = "delete" if temporary else "stop"
        handle = pgserver.get_server(pgdata, cleanup_mode=mode)  # type: ignore[attr-defined]
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"embedded PostgreSQL failed to start; see {pgdata / 'log'}") from exc
    uri = handle.get_uri()
    socket_dir = uri.split("host=", 1)[1].split("&", 1)[0]
    server = EmbeddedServer(handle=handle, socket_dir=socket_dir, data_dir=data_dir)
    _bootstrap(server, app_role)
    return server


def _bootstrap(server: EmbeddedServer, app_role: str) -> None:
    # Trust authentication on a private socket: the app role logs in directly, without a password.
    server.psql(
        f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{app_role}') THEN
            CREATE ROLE {app_role} LOGIN;
          ELSE
            ALTER ROLE {app_role} LOGIN;
          END IF;
        END $$;
        SELECT 'CREATE DATABASE {DATABASE}' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{DATABASE}')
        \\gexec
        """
    )


def remove(data_dir: Path) -> None:
    shutil.rmtree(data_dir / "pgdata", ignore_errors=True)
