"""Operator commands for custom fields: ``rapport index build`` and ``rapport check references``."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.indexes import build, pending_jobs
from rapport.customfields.service import load_definitions
from rapport.customfields.types.base import stored_text
from rapport.customfields.types.reference import target_of
from rapport.models import Tenant, table_of
from rapport.schema.entities import CUSTOMIZABLE, ENTITIES

index_app = typer.Typer(help="Custom-field indexes.", no_args_is_help=True)
check_app = typer.Typer(help="Consistency checks.", no_args_is_help=True)
console = Console(soft_wrap=True)


def _engine() -> tuple[Any, AsyncEngine]:
    from rapport.cli import open_for_cli

    database = open_for_cli()
    return database, database.owner_engine()


@index_app.command("build")
def index_build(
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Also build the indexes whose last build failed (once fixed).")
    ] = False,
) -> None:
    """Build every custom-field index that is pending (or was interrupted), one at a time."""

    async def main(engine: AsyncEngine) -> list[tuple[Any, str]]:
        jobs = await pending_jobs(engine, retry_failed=retry_failed)
        return [(job, await build(engine, job)) for job in jobs]

    database, engine = _engine()
    try:
        results = asyncio.run(_with_dispose(engine, main(engine)))
    finally:
        database.close()
    for job, status in results:
        console.print(f"{job.tenant_id} {job.definition_id}: {status}")
    console.print(f"{len(results)} pending index builds processed")
    if any(status == "FAILED" for _, status in results):
        raise typer.Exit(1)


@dataclass(frozen=True)
class Dangling:
    tenant: str
    entity: str
    key: str
    record_id: str
    target: str
    value: str


async def dangling_references(engine: AsyncEngine) -> list[Dangling]:
    """REFERENCE values whose target no longer exists (or is deleted), in every tenant."""
    found: list[Dangling] = []
    tenants = table_of(Tenant)
    async with engine.connect() as conn:
        async with conn.begin():
            rows = (await conn.execute(select(tenants.c.id, tenants.c.slug))).all()
        for tenant_id, slug in rows:
            async with conn.begin():
                await conn.execute(text("SELECT set_config('rapport.tenant_id', :t, true)"), {"t": str(tenant_id)})
                for definition in await load_definitions(conn, tenant_id):
                    if definition.type == "REFERENCE" and not definition.archived:
                        found += await _dangling(conn, tenant_id, slug, definition)
    return found


async def _dangling(conn: Any, tenant_id: uuid.UUID, slug: str, definition: FieldDefinition) -> list[Dangling]:
    entity = CUSTOMIZABLE[definition.entity]
    target = ENTITIES[target_of(definition)]
    # An alias: the target may be the same table (a customer pointing at a customer), and the subquery must
    # not correlate to the outer row.
    table, other = entity.table, target.table.alias("target")
    value = stored_text(table.c.custom, definition.key)
    live = [other.c.tenant_id == table.c.tenant_id, other.c.id == value.cast(other.c.id.type)]
    if target.soft_delete:
        live.append(other.c.deleted_at.is_(None))
    stmt = select(table.c.id, value).where(
        table.c.tenant_id == tenant_id,
        table.c.custom.has_key(definition.key),
        ~select(other.c.id).where(*live).exists(),
    )
    return [
        Dangling(slug, entity.name, definition.key, str(row_id), target.name, str(v))
        for row_id, v in (await conn.execute(stmt)).all()
    ]


@check_app.command("references")
def check_references(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """List REFERENCE custom values whose target is gone (they read as null); exit 1 if there are any."""
    database, engine = _engine()
    try:
        found = asyncio.run(_with_dispose(engine, dangling_references(engine)))
    finally:
        database.close()
    for item in found:
        if as_json:
            print(json.dumps(item.__dict__))
        else:
            console.print(
                f"{item.tenant} {item.entity} {item.record_id} .{item.key} -> missing {item.target} {item.value}"
            )
    if not as_json:
        console.print(f"{len(found)} dangling references")
    if found:
        raise typer.Exit(1)


async def _with_dispose(engine: AsyncEngine, work: Any) -> Any:
    try:
        return await work
    finally:
        await engine.dispose()
