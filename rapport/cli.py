"""The ``rapport`` command: serve, migrate, seed, tenant, token, schema."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from rapport.config import Settings, get_settings
from rapport.db.database import Database, open_database

app = typer.Typer(help="Rapport: a multi-tenant CRM GraphQL API.", no_args_is_help=True, add_completion=False)
tenant_app = typer.Typer(help="Manage tenants.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
schema_app = typer.Typer(help="Inspect tenant schemas.", no_args_is_help=True)
app.add_typer(tenant_app, name="tenant")
app.add_typer(token_app, name="token")
app.add_typer(schema_app, name="schema")


def _register_custom_field_commands() -> None:
    from rapport.customfields.commands import check_app, index_app

    app.add_typer(index_app, name="index")
    app.add_typer(check_app, name="check")


_register_custom_field_commands()

console = Console(soft_wrap=True)
T = TypeVar("T")
MIGRATION_LOCK = 72_616_001  # advisory lock id: one migrator at a time across processes


def _database(settings: Settings) -> Database:
    try:
        return open_database(settings)
    except RuntimeError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


def migrate_database(database: Database) -> None:
    """Upgrade to head, one process at a time (replicas starting together must not race)."""
    from sqlalchemy import create_engine, pool

    from rapport.customfields import accessors
    from rapport.db import migrate

    engine = create_engine(database.owner_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            # Held until this transaction (the migration's) commits, so a waiting migrator sees the result.
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK})
            migrate.alembic_upgrade_on(conn)
            # A superuser migrating a database first migrated without one makes the accessors leakproof.
            accessors.install(conn)
            conn.commit()
    finally:
        engine.dispose()


def _run_owner(database: Database, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """Run ``work`` in one owner transaction."""

    async def main() -> T:
        engine = database.owner_engine()
        try:
            async with engine.begin() as conn:
                return await work(conn)
        finally:
            await database.dispose()

    return asyncio.run(main())


def open_for_cli() -> Database:
    """The configured database for an operator command (the embedded one is migrated first)."""
    database = _database(get_settings())
    if database.server is not None:
        migrate_database(database)
    return database


def _with_database(fn: Callable[[Database], T]) -> T:
    settings = get_settings()
    database = _database(settings)
    try:
        if database.server is not None:
            migrate_database(database)  # the embedded database is ours to keep current
        return fn(database)
    finally:
        database.close()


@app.command()
def migrate() -> None:
    """Upgrade the database schema to the latest migration."""
    settings = get_settings()
    database = _database(settings)
    try:
        migrate_database(database)
        console.print("[green]database is at the latest migration[/green]")
    finally:
        database.close()


@app.command()
def seed() -> None:
    """Create the demo tenant with sample data (idempotent)."""
    from rapport.seed import seed_demo

    def run(database: Database) -> None:
        created = _run_owner(database, seed_demo)
        console.print("demo tenant " + ("created" if created else "already present"))

    _with_database(run)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[bool | None, typer.Option(help="Seed the demo tenant (default: only when embedded).")] = None,
    migrate_first: Annotated[bool, typer.Option("--migrate/--no-migrate", help="Run migrations first.")] = True,
) -> None:
    """Serve the API (embedded PostgreSQL when RAPPORT_DATABASE_URL is unset)."""
    import uvicorn

    from rapport.app import create_app
    from rapport.seed import DEMO_SLUG, demo_token, seed_demo

    settings = get_settings()
    database = _database(settings)
    try:
        if migrate_first:
            migrate_database(database)
        with_demo = (
            demo if demo is not None else (settings.demo if settings.demo is not None else database.server is not None)
        )
        token = None
        if with_demo:
            _run_owner(database, seed_demo)
            token = _run_owner(database, demo_token)
        _banner(host, port, database, token, DEMO_SLUG)
        config = uvicorn.Config(
            create_app(settings, database),
            host=host,
            port=port,
            log_level=settings.log_level,
            loop="uvloop" if sys.platform != "win32" else "asyncio",
            http="httptools",
            timeout_graceful_shutdown=20,
        )
        # uvicorn shuts down gracefully on SIGTERM, then re-raises it: let that end us through `finally`, so the
        # embedded database is stopped under systemd, Docker and CI too (not only on Ctrl-C).
        signal.signal(signal.SIGTERM, _exit_on_signal)
        uvicorn.Server(config).run()
    finally:
        database.close()


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _banner(host: str, port: int, database: Database, token: str | None, slug: str) -> None:
    base = f"http://{host}:{port}"
    where = "embedded PostgreSQL in " + str(database.server.data_dir) if database.server else "RAPPORT_DATABASE_URL"
    console.print(f"[bold]Rapport[/bold] on {base}  (database: {where})")
    console.print(f"GraphiQL: {base}/graphql")
    if token:
        headers = urllib.parse.quote(json.dumps({"Authorization": f"Bearer {token}"}))
        console.print(f"Demo tenant '{slug}' admin token: [bold]{token}[/bold]")
        console.print(f"GraphiQL with the token filled in: {base}/graphql?headers={headers}")
        console.print(
            f"curl -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' "
            f'-d \'{{"query": "{{ customers(first: 3) {{ edges {{ node {{ name }} }} }} }}"}}\' {base}/graphql'
        )


def _emit(data: dict[str, Any], as_json: bool, human: str) -> None:
    if as_json:
        print(json.dumps(data))
    else:
        console.print(human)


@app.command()
def purge(
    retention_days: Annotated[
        float | None,
        typer.Option(help="Remove what was deleted longer ago than this (default: RAPPORT_DELETE_RETENTION_DAYS)."),
    ] = None,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant (slug or id).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON line.")] = False,
) -> None:
    """Remove for good the records deleted longer ago than the retention period, and expired idempotency keys."""
    import datetime as dt

    from rapport.purge import purge as purge_deleted
    from rapport.tenants import find_tenant

    settings = get_settings()
    days = settings.delete_retention_days if retention_days is None else retention_days
    if days < 0:
        console.print("[red]--retention-days must not be negative[/red]")
        raise typer.Exit(1)

    def run(database: Database) -> None:
        async def main() -> dict[str, int]:
            engine = database.owner_engine()
            try:
                tenant_ids = None
                if tenant is not None:
                    async with engine.connect() as conn:
                        found = await find_tenant(conn, tenant)
                    if found is None:
                        raise ValueError(f"no tenant {tenant!r}")
                    tenant_ids = [found.id]
                return dict(await purge_deleted(engine, dt.timedelta(days=days), tenant_ids))
            finally:
                await database.dispose()

        try:
            removed = asyncio.run(main())
        except ValueError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
        human = ", ".join(f"{table}: {n}" for table, n in sorted(removed.items())) or "nothing to purge"
        _emit({"retention_days": days, "removed": removed}, as_json, f"purged (older than {days:g} days) {human}")

    _with_database(run)


@tenant_app.command("create")
def tenant_create(
    name: Annotated[str, typer.Option(help="The business's name.")],
    slug: Annotated[str | None, typer.Option(help="URL-friendly handle (default: from the name).")] = None,
    owner_email: Annotated[str | None, typer.Option(help="The owner user's email.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON line.")] = False,
) -> None:
    """Create a tenant with an owner user; prints an owner token (shown once)."""
    from rapport.tenants import create_tenant

    def run(database: Database) -> None:
        created = _run_owner(database, lambda conn: create_tenant(conn, name, slug=slug, owner_email=owner_email))
        _emit(
            {"tenant_id": str(created.tenant.id), "slug": created.tenant.slug, "token": created.token},
            as_json,
            f"created tenant {created.tenant.slug} ({created.tenant.id})\nowner token (shown once): {created.token}",
        )

    _with_database(run)


@token_app.command("create")
def token_create(
    tenant: Annotated[str, typer.Option(help="Tenant slug or id.")],
    role: Annotated[str, typer.Option(help="owner, admin, member or viewer.")] = "admin",
    user: Annotated[str | None, typer.Option(help="Email of the user the token acts as (default: owner).")] = None,
    name: Annotated[str, typer.Option(help="A note to recognise the token by.")] = "cli",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON line.")] = False,
) -> None:
    """Issue an API token (shown once; only its hash is stored)."""
    from rapport.tenants import find_tenant, issue_token

    async def work(conn: AsyncConnection) -> tuple[str, str]:
        found = await find_tenant(conn, tenant)
        if found is None:
            raise ValueError(f"no tenant {tenant!r}")
        return str(found.id), await issue_token(conn, found, role.upper(), user_email=user, name=name)

    def run(database: Database) -> None:
        try:
            tenant_id, token = _run_owner(database, work)
        except ValueError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
        _emit(
            {"tenant_id": tenant_id, "role": role.upper(), "token": token},
            as_json,
            f"token (shown once): {token}",
        )

    _with_database(run)


@schema_app.command("print")
def schema_print(
    tenant: Annotated[str | None, typer.Option(help="Tenant slug or id (default: the base schema).")] = None,
) -> None:
    """Print a tenant's GraphQL SDL (for code generators)."""
    from rapport.schema.cache import plain_schema
    from rapport.schema.sdl import sdl, tenant_sdl

    if tenant is None:
        print(sdl(plain_schema()))
        return

    def run(database: Database) -> None:
        try:
            print(_run_owner(database, lambda conn: tenant_sdl(conn, tenant)))
        except LookupError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc

    _with_database(run)


@app.command()
def bench(
    preset: Annotated[str, typer.Option(help="Data set: small (1 tenant, 10k customers) or medium (20 tenants).")] = (
        "small"
    ),
    duration: Annotated[float, typer.Option(help="Measured seconds per scenario (and per floor).")] = 5.0,
    warmup: Annotated[float, typer.Option(help="Unmeasured seconds before each measurement.")] = 1.0,
    concurrency: Annotated[int, typer.Option(help="Concurrent clients.")] = 8,
    scenario: Annotated[
        list[str] | None, typer.Option("--scenario", "-s", help="Run only this scenario (repeatable).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the data generator and the request variants.")] = 42,
    floor: Annotated[bool, typer.Option(help="Also time the hand-written SQL floor of each read scenario.")] = True,
    fresh: Annotated[bool, typer.Option(help="Delete the embedded bench database and load it again.")] = False,
    rate: Annotated[
        float | None,
        typer.Option(help="Requests/s of the open-loop latency run of summary (default 1000; 0 skips it)."),
    ] = None,
) -> None:
    """Benchmark the API (from a source checkout): load a preset, serve it, drive each scenario, print the table."""
    import importlib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    if not (root / "bench" / "run.py").is_file():
        console.print("[red]the benchmark harness ships with the source checkout (bench/), not the package[/red]")
        raise typer.Exit(1)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    run = importlib.import_module("bench.run")  # imported by name: the harness is not part of the package
    chosen = tuple(scenario) if scenario else tuple(importlib.import_module("bench.scenarios").SCENARIOS)
    options = run.Options(
        preset=preset,
        seed=seed,
        duration=duration,
        warmup=warmup,
        concurrency=concurrency,
        scenarios=chosen,
        floor=floor,
        fresh=fresh,
        data_dir=root / ".rapport" / "bench",
        rate=rate,
    )
    run.run(options, console)
