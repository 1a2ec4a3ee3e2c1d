"""Indexes for custom fields, built outside request transactions (CREATE INDEX CONCURRENTLY).

- filterable / sortable: a btree expression index ``(tenant_id, <value expression>)`` on the entity's table.
  The expression is exactly the one filters and sorts produce (``FieldType.value_expr``), so the planner
  can use it. Indexes are named after (table, key, type) and a digest of the expression, and shared by every
  tenant whose field has the same key and type; they are not dropped when a field stops asking for one, only
  when a build finds one on an expression an earlier version used. Exact decimals (``FieldType.range_expr``)
  are the exception: under row-level security no index serves their numeric comparisons, so filterable builds
  a range index on their float8 accessor instead (``_range`` in its name), and only sortable the btree.
- unique: a partial unique index per definition, ``(tenant_id, <stored text>)`` over this tenant's live rows
  that have a value. Writes also check uniqueness under an advisory lock (``uniqueness.py``), so the rule holds
  while the index is still being built.

A definition's ``index_status`` tells where its indexes stand: NONE, PENDING, BUILDING, READY or FAILED (with
``index_error``). Builds run on the owner's connection (index DDL needs table ownership) in the API process
after the change commits, and ``rapport index build`` runs any that are pending.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.registry import field_type
from rapport.models import CustomFieldDefinition, Tenant, table_of
from rapport.schema.entities import CUSTOMIZABLE

log = logging.getLogger("rapport.indexes")
definitions = table_of(CustomFieldDefinition)
# Types with a btree on their value expression. A select's serves equality (its sort follows the options'
# order, which no index holds); booleans, JSON and multi-selects filter by containment, which under row-level
# security no index serves (decision 29).
BTREE_TYPES = frozenset(
    {
        "TEXT",
        "SELECT",
        "INTEGER",
        "DECIMAL",
        "DATE",
        "DATETIME",
        "EMAIL",
        "PHONE",
        "URL",
        "PERCENT",
        "RATING",
        "MONEY",
        "REFERENCE",
    }
)
UNIQUE_TYPES = frozenset({"TEXT", "INTEGER", "DECIMAL", "DATE", "DATETIME", "EMAIL", "PHONE", "URL", "REFERENCE"})


def wants_index(definition: FieldDefinition) -> bool:
    return bool(definition.setting("unique") or definition.setting("filterable") or definition.setting("sortable"))


def _short(name: str) -> str:
    """PostgreSQL identifiers stop at 63 bytes: long names keep a readable head and a hash."""
    if len(name) <= 63:
        return name
    return name[:54] + "_" + hashlib.blake2s(name.encode(), digest_size=4).hexdigest()


def _btree_base(definition: FieldDefinition) -> str:
    table = CUSTOMIZABLE[definition.entity].table.name
    return f"cf_{table}_{definition.key.lower()}_{definition.type.lower()}"


def _digested(prefix: str, expression: str) -> str:
    """``prefix`` (table, key, type and kind) and a digest of the expression: keys that differ only in case, and
    an expression that changed between versions, never find an index built on something else."""
    digest = hashlib.blake2s(expression.encode(), digest_size=3).hexdigest()
    return _short(f"{prefix}_{digest}")


def btree_name(definition: FieldDefinition) -> str:
    return _digested(_btree_base(definition), _btree_columns(definition))


def range_name(definition: FieldDefinition) -> str:
    return _digested(f"{_btree_base(definition)}_range", _range_expression(definition))


def legacy_btree_name(definition: FieldDefinition) -> str:
    """The name indexes had before it carried the expression's digest. Those indexes cast without a guard
    (a value of another type under the same key failed every write of its row), so builds drop them."""
    return _short(_btree_base(definition))


def unique_name(definition: FieldDefinition) -> str:
    return f"cfu_{definition.id.hex}"


def _sql(expression: Any) -> str:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    return str(expression.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _btree_expression(definition: FieldDefinition) -> str:
    table = CUSTOMIZABLE[definition.entity].table
    return _sql(field_type(definition.type).value_expr(table.c.custom, definition))


def _btree_columns(definition: FieldDefinition) -> str:
    """The value, then the id: pages sort by (value, id), and without the id every group of equal values (all
    the records without one, often most of them) was sorted by id for each page (decision 6)."""
    return f"({_btree_expression(definition)}), id"


def _range_value(definition: FieldDefinition) -> Any:
    """The type's float8 value for range filters (``FieldType.range_expr``), None for types without one."""
    table = CUSTOMIZABLE[definition.entity].table
    return field_type(definition.type).range_expr(table.c.custom, definition)


def _range_expression(definition: FieldDefinition) -> str:
    # Not a partial index on rows with a value, which would be smaller: ANALYZE gathers no statistics on a
    # partial index's expressions, and without them the planner guessed a third of the rows and scanned.
    expression = _range_value(definition)
    assert expression is not None
    return _sql(expression)


def _has_range(definition: FieldDefinition) -> bool:
    return _range_value(definition) is not None


def wants_btree(definition: FieldDefinition) -> bool:
    if definition.type not in BTREE_TYPES:
        return False
    filtered = bool(definition.setting("filterable")) and not _has_range(definition)
    return filtered or bool(definition.setting("sortable"))


def wants_range(definition: FieldDefinition) -> bool:
    return bool(definition.setting("filterable")) and _has_range(definition)


def _expression_index(definition: FieldDefinition, name: str, columns: str) -> str:
    table = CUSTOMIZABLE[definition.entity].table.name
    return f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} (tenant_id, {columns})"


def range_statement(definition: FieldDefinition) -> str | None:
    if not wants_range(definition):
        return None
    return _expression_index(definition, range_name(definition), f"({_range_expression(definition)})")


def btree_statement(definition: FieldDefinition) -> str | None:
    if not wants_btree(definition):
        return None
    return _expression_index(definition, btree_name(definition), _btree_columns(definition))


def unique_statement(definition: FieldDefinition, tenant_id: uuid.UUID) -> str | None:
    if not definition.setting("unique"):
        return None
    entity = CUSTOMIZABLE[definition.entity]
    table, key = entity.table, definition.key
    live = " AND deleted_at IS NULL" if entity.soft_delete else ""
    return (
        f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {unique_name(definition)} ON {table.name} "
        f"(tenant_id, (custom ->> '{key}')) WHERE tenant_id = '{tenant_id}'::uuid{live} AND custom ? '{key}'"
    )


def index_statements(definition: FieldDefinition, tenant_id: uuid.UUID) -> list[str]:
    """The CREATE INDEX statements a definition's settings ask for."""
    made = (btree_statement(definition), range_statement(definition), unique_statement(definition, tenant_id))
    return [statement for statement in made if statement]


@dataclass(frozen=True)
class Pending:
    tenant_id: uuid.UUID
    definition_id: uuid.UUID
    # Indexes to drop first (a unique field that stopped being unique, a deleted field).
    drop: tuple[str, ...] = ()


async def _set_status(engine: AsyncEngine, job: Pending, status: str, error: str | None = None) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("SELECT set_config('rapport.tenant_id', :t, true)"), {"t": str(job.tenant_id)})
        await conn.execute(
            update(definitions)
            .where(definitions.c.tenant_id == job.tenant_id, definitions.c.id == job.definition_id)
            .values(index_status=status, index_error=error)
        )


async def _definition(engine: AsyncEngine, job: Pending) -> FieldDefinition | None:
    async with engine.begin() as conn:
        await conn.execute(text("SELECT set_config('rapport.tenant_id', :t, true)"), {"t": str(job.tenant_id)})
        row = (
            await conn.execute(
                select(definitions).where(
                    definitions.c.tenant_id == job.tenant_id, definitions.c.id == job.definition_id
                )
            )
        ).first()
    return None if row is None else FieldDefinition.from_row(row)


async def _ddl(engine: AsyncEngine, statements: list[str]) -> None:
    """Run index DDL outside any transaction (CREATE / DROP INDEX CONCURRENTLY require it)."""
    async with engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        for statement in statements:
            await autocommit.execute(text(statement))


async def _invalid_indexes(engine: AsyncEngine, names: list[str]) -> list[str]:
    """Which of ``names`` exist but are invalid (shared btree indexes other tenants use are left alone)."""
    async with engine.connect() as conn:
        found = await conn.execute(
            text(
                "SELECT c.relname FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid "
                "WHERE c.relname = ANY(:names) AND NOT i.indisvalid"
            ),
            {"names": names},
        )
        return list(found.scalars())


async def _outdated(engine: AsyncEngine, current: str, prefix: str) -> list[str]:
    """Indexes named ``prefix`` and a digest, other than ``current``: the same (table, key, type) and kind, on an
    expression an earlier version used. Every tenant's field of that key and type has the same expression, so
    nothing queries those any more; they only slow writes."""
    pattern = f"^{prefix}_[0-9a-f]{{6}}$"
    if not re.match(pattern, current):  # a shortened name has no recognisable digest: leave those alone
        return []
    async with engine.connect() as conn:
        found = await conn.execute(
            text("SELECT relname FROM pg_class WHERE relkind = 'i' AND relname ~ :pattern AND relname <> :current"),
            {"pattern": pattern, "current": current},
        )
        return list(found.scalars())


async def build(engine: AsyncEngine, job: Pending) -> str:
    """Build the indexes one definition asks for (after dropping ``job.drop``); returns the final status."""
    if job.drop:
        await _ddl(engine, [f"DROP INDEX CONCURRENTLY IF EXISTS {name}" for name in job.drop])
    definition = await _definition(engine, job)
    if definition is None or definition.archived or definition.index_status not in ("PENDING", "BUILDING"):
        return "NONE" if definition is None else definition.index_status
    statements = index_statements(definition, job.tenant_id)
    outdated: list[str] = []
    if wants_btree(definition):
        outdated += [legacy_btree_name(definition)]
        outdated += await _outdated(engine, btree_name(definition), _btree_base(definition))
    if wants_range(definition):
        outdated += await _outdated(engine, range_name(definition), f"{_btree_base(definition)}_range")
    statements[:0] = [f"DROP INDEX CONCURRENTLY IF EXISTS {name}" for name in outdated]
    if not statements:
        await _set_status(engine, job, "NONE")
        return "NONE"
    await _set_status(engine, job, "BUILDING")
    try:
        await _ddl(engine, statements)
    except Exception as exc:  # a failed concurrent build leaves an invalid index behind: drop it and report
        log.warning("index build failed for %s: %s", job, exc)
        invalid = await _invalid_indexes(engine, index_names(definition))
        await _ddl(engine, [f"DROP INDEX CONCURRENTLY IF EXISTS {name}" for name in invalid])
        await _set_status(engine, job, "FAILED", str(getattr(exc, "orig", exc))[:500])
        return "FAILED"
    await _set_status(engine, job, "READY")
    return "READY"


def index_names(definition: FieldDefinition) -> list[str]:
    """The indexes a definition's settings ask for."""
    names = [btree_name(definition)] if wants_btree(definition) else []
    names += [range_name(definition)] if wants_range(definition) else []
    return names + ([unique_name(definition)] if definition.setting("unique") else [])


async def pending_jobs(engine: AsyncEngine, *, retry_failed: bool = False) -> list[Pending]:
    """Definitions whose indexes are PENDING or were interrupted (BUILDING), in every tenant; READY or NONE ones
    whose indexes are missing (dropped by hand, renamed or added by an upgrade) are set PENDING again, and with
    ``retry_failed`` FAILED ones too (an operator fixed what failed them: they are never retried unasked, as
    most failures, say duplicate values under a unique index, fail again)."""
    jobs: list[Pending] = []
    tenants = table_of(Tenant)
    async with engine.connect() as conn:
        async with conn.begin():
            tenant_ids = (await conn.execute(select(tenants.c.id))).scalars().all()
            present = set(
                (
                    await conn.execute(
                        text(
                            "SELECT c.relname FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid "
                            "WHERE c.relname LIKE 'cf%' AND i.indisvalid"
                        )
                    )
                ).scalars()
            )
        for tenant_id in tenant_ids:
            async with conn.begin():
                await conn.execute(text("SELECT set_config('rapport.tenant_id', :t, true)"), {"t": str(tenant_id)})
                rows = await conn.execute(
                    select(definitions).where(definitions.c.tenant_id == tenant_id, definitions.c.archived_at.is_(None))
                )
                for definition in map(FieldDefinition.from_row, rows):
                    # NONE too: a type can gain an index in an upgrade (filterable selects did).
                    settled = definition.index_status in ("READY", "NONE") or (
                        retry_failed and definition.index_status == "FAILED"
                    )
                    missing = settled and not set(index_names(definition)) <= present
                    if missing:
                        await conn.execute(
                            update(definitions)
                            .where(definitions.c.tenant_id == tenant_id, definitions.c.id == definition.id)
                            .values(index_status="PENDING", index_error=None)
                        )
                    if missing or definition.index_status in ("PENDING", "BUILDING"):
                        jobs.append(Pending(tenant_id, definition.id))
    return jobs


class IndexBuilder:
    """Runs index builds one at a time in the background of the API process."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.queue: asyncio.Queue[Pending] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def resume(self) -> None:
        for job in await pending_jobs(self.engine):
            self.submit(job)

    def submit(self, job: Pending) -> None:
        self.queue.put_nowait(job)

    async def _run(self) -> None:
        while True:
            job = await self.queue.get()
            try:
                await build(self.engine, job)
            except Exception:  # keep building the others; the definition stays PENDING/BUILDING for a retry
                log.exception("index build crashed for %s", job)
            finally:
                self.queue.task_done()

    async def drain(self) -> None:
        """Wait until every submitted build finished (tests, shutdown)."""
        await self.queue.join()

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None
