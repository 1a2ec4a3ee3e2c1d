"""Schema migrations (alembic), run as the table owner; shipped inside the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import URL

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(owner_url: URL | str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    url = owner_url.render_as_string(hide_password=False) if isinstance(owner_url, URL) else owner_url
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(owner_url: URL | str, revision: str = "head") -> None:
    command.upgrade(alembic_config(owner_url), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("postgresql+psycopg://")).get_current_head()


def current_revision(owner_url: URL | str) -> str | None:
    engine = create_engine(owner_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def alembic_upgrade_on(connection: object, revision: str = "head") -> None:
    """Upgrade using an open (owner) connection, e.g. one holding an advisory lock."""
    cfg = alembic_config("postgresql+psycopg://")
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)
