"""Changing stored custom values when a definition changes: rename, merge options, change type, delete.

Values are rewritten in keyset batches of BATCH rows (by primary key), inside the definition change's
transaction, after taking the entity's exclusive custom-values lock (``locks.py``): the change is atomic, and
writers that waited see the new schema. Soft-deleted rows are rewritten too, so a restore finds values in
the current shape. Rewrites do not bump the records' versions: the records' data is the same, only its shape
moved.
"""

from __future__ import annotations

import decimal
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.base import FieldValueError
from rapport.customfields.types.registry import field_type
from rapport.ids import to_global_id
from rapport.schema.entities import CUSTOMIZABLE

BATCH = 1000
MAX_SAMPLES = 10


def _table(definition: FieldDefinition) -> Any:
    return CUSTOMIZABLE[definition.entity].table


async def _batches(conn: AsyncConnection, tenant_id: uuid.UUID, definition: FieldDefinition, key: str):  # type: ignore[no-untyped-def]
    """Yield (id, stored value) batches of the rows that have ``key``, in primary-key order."""
    table = _table(definition)
    last: uuid.UUID | None = None
    while True:
        stmt = (
            select(table.c.id, table.c.custom[key])
            .where(table.c.tenant_id == tenant_id, table.c.custom.has_key(key))
            .order_by(table.c.id)
            .limit(BATCH)
        )
        if last is not None:
            stmt = stmt.where(table.c.id > last)
        rows = (await conn.execute(stmt)).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


_REWRITE = text(
    """
    UPDATE {table} AS t
       SET custom = CASE WHEN x.value IS NULL THEN (t.custom - :old_key) - :new_key
                         ELSE jsonb_set(t.custom - :old_key, ARRAY[:new_key], x.value) END
      FROM jsonb_to_recordset(:rows) AS x(id uuid, value jsonb)
     WHERE t.tenant_id = :tenant AND t.id = x.id
    """
)


async def _write(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    definition: FieldDefinition,
    old_key: str,
    new_key: str,
    updates: list[tuple[uuid.UUID, Any]],
) -> None:
    if not updates:
        return
    statement = text(_REWRITE.text.replace("{table}", _table(definition).name)).bindparams(
        bindparam("rows", type_=JSONB)
    )
    await conn.execute(
        statement,
        {
            "rows": [{"id": str(i), "value": v} for i, v in updates],
            "tenant": tenant_id,
            "old_key": old_key,
            "new_key": new_key,
        },
    )


async def rewrite(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    definition: FieldDefinition,
    *,
    new_key: str | None = None,
    convert: Callable[[Any], Any] | None = None,
) -> int:
    """Move values to ``new_key`` and/or convert them (None removes the value); returns rows rewritten."""
    key = definition.key
    target = new_key or key
    count = 0
    async for rows in _batches(conn, tenant_id, definition, key):
        updates = [(row_id, value if convert is None else convert(value)) for row_id, value in rows]
        await _write(conn, tenant_id, definition, key, target, updates)
        count += len(updates)
    return count


async def purge(conn: AsyncConnection, tenant_id: uuid.UUID, definition: FieldDefinition) -> int:
    """Remove every stored value of the field (explicit delete)."""
    return await rewrite(conn, tenant_id, definition, convert=lambda _: None)


# --- type changes --------------------------------------------------------------------------------------------

Converter = Callable[[Any, FieldDefinition], Any]
NUMBERS = {"INTEGER", "DECIMAL", "PERCENT", "RATING"}
TEXTS = {"TEXT", "LONG_TEXT"}
SCALARS = {
    "TEXT",
    "LONG_TEXT",
    "INTEGER",
    "DECIMAL",
    "BOOLEAN",
    "DATE",
    "DATETIME",
    "EMAIL",
    "PHONE",
    "URL",
    "SELECT",
    "PERCENT",
    "RATING",
    "MONEY",
    "MULTI_SELECT",
}
FROM_TEXT = {
    "INTEGER",
    "DECIMAL",
    "PERCENT",
    "RATING",
    "DATE",
    "DATETIME",
    "EMAIL",
    "PHONE",
    "URL",
    "SELECT",
    "BOOLEAN",
    "TEXT",
    "LONG_TEXT",
}


def _label(value: Any, old: FieldDefinition) -> str:
    return next((o.label for o in old.options if o.id == value), str(value))


def as_text(value: Any, old: FieldDefinition) -> Any:
    """How a stored value reads as text when a field becomes TEXT."""
    if old.type == "SELECT":
        return _label(value, old)
    if old.type == "MULTI_SELECT":
        return ", ".join(_label(v, old) for v in value)
    if old.type == "MONEY":
        return f"{value['amount']} {value['currency']}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def from_text(value: Any, new_type: str) -> Any:
    """A stored text parsed into what the new type's input accepts."""
    text_value = str(value).strip()
    if new_type in ("INTEGER", "RATING"):
        try:
            return int(text_value)
        except ValueError as exc:
            raise FieldValueError(_invalid(), f"{text_value!r} is not a whole number") from exc
    if new_type == "BOOLEAN":
        lowered = text_value.lower()
        if lowered not in ("true", "false", "yes", "no", "1", "0"):
            raise FieldValueError(_invalid(), f"{text_value!r} is not true or false")
        return lowered in ("true", "yes", "1")
    return text_value


def _invalid() -> Any:
    from rapport.errors import UserErrorCode

    return UserErrorCode.INVALID


def _to_integer(value: Any, old: FieldDefinition) -> Any:
    number = decimal.Decimal(str(value))
    if number != number.to_integral_value():
        raise FieldValueError(_invalid(), f"{value} is not a whole number")
    return int(number)


def converter(old_type: str, new_type: str) -> Converter | None:
    """How a stored value of ``old_type`` becomes input for ``new_type``; None if the change is not offered."""
    if old_type == new_type:
        return None
    if old_type == "SELECT" and new_type == "MULTI_SELECT":
        return lambda v, old: [v]
    if old_type == "MULTI_SELECT" and new_type == "SELECT":

        def single(v: Any, old: FieldDefinition) -> Any:
            if len(v) > 1:
                raise FieldValueError(_invalid(), f"{len(v)} options chosen; a single select holds one")
            return v[0] if v else None

        return single
    if new_type in TEXTS and old_type in SCALARS:
        return as_text
    if old_type in TEXTS and new_type in FROM_TEXT:
        return lambda v, old: from_text(v, new_type)
    if old_type in NUMBERS and new_type in NUMBERS:
        return _to_integer if new_type in ("INTEGER", "RATING") else (lambda v, old: str(v))
    if old_type in ("EMAIL", "PHONE", "URL") and new_type in TEXTS:
        return as_text
    return None


@dataclass
class ConversionReport:
    total: int = 0
    convertible: int = 0
    failing: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)
    dropped_settings: list[str] = field(default_factory=list)


def convert_value(value: Any, old: FieldDefinition, new: FieldDefinition) -> Any:
    """A stored value of ``old`` in ``new``'s stored form (None: no value); raises FieldValueError."""
    to_input = converter(old.type, new.type)
    assert to_input is not None
    raw = to_input(value, old)
    if new.type == "SELECT" and old.type in TEXTS:
        raw = option_for_text(raw, new)
    return None if raw is None else field_type(new.type).to_storage(raw, new)


async def convert_values(
    conn: AsyncConnection, tenant_id: uuid.UUID, old: FieldDefinition, new: FieldDefinition, *, write: bool
) -> ConversionReport:
    """Check (and with ``write``, rewrite) every stored value for the new type."""
    report = ConversionReport()
    entity = CUSTOMIZABLE[old.entity].name
    async for rows in _batches(conn, tenant_id, old, old.key):
        updates: list[tuple[uuid.UUID, Any]] = []
        for row_id, value in rows:
            report.total += 1
            try:
                stored = convert_value(value, old, new)
            except FieldValueError as exc:
                report.failing += 1
                if len(report.samples) < MAX_SAMPLES:
                    report.samples.append({"id": to_global_id(entity, row_id), "value": value, "problem": exc.message})
                continue
            report.convertible += 1
            updates.append((row_id, stored))
        if write and not report.failing:
            await _write(conn, tenant_id, old, old.key, old.key, updates)
    return report


def option_for_text(value: Any, definition: FieldDefinition) -> Any:
    """The option a stored text names by its label (ignoring case and surrounding spaces); other texts are
    left for the select type to read as an enum value (GOLD) or option id."""
    folded = str(value).strip().casefold()
    return next((o.id for o in definition.options if o.label.strip().casefold() == folded), value)


def text_options(values: list[str]) -> list[dict[str, Any]]:
    """Options for a TEXT -> SELECT change without given options: one per distinct text (ignoring case, as
    ``option_for_text`` matches them), in first-seen order and spelling."""
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.casefold(), value)
    return [{"label": value} for value in seen.values()]


async def distinct_texts(
    conn: AsyncConnection, tenant_id: uuid.UUID, definition: FieldDefinition, limit: int
) -> list[str]:
    found: list[str] = []
    async for rows in _batches(conn, tenant_id, definition, definition.key):
        for _, value in rows:
            text_value = str(value).strip()
            if text_value and text_value not in found:
                found.append(text_value)
                if len(found) > limit:
                    return found
    return found
