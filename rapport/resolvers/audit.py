"""``auditLog``: who created, changed, deleted, restored, erased or purged what, newest first.

Entries are written by database triggers in the transaction that made the change (migration 0005), so every
write path is covered: the generic mutations, the special ones (leadConvert, opportunityMoveStage, shipment
events, ledger entries), custom-field definition changes and their value backfills, and the CLI. The app role
may only read and add entries.

Who may read: ADMIN and OWNER read every entry of the tenant; MEMBER and VIEWER read the entries of changes
they made themselves (the trail records old values, including ones since deleted or hidden from them).
"""
# mypy: disable-error-code="valid-type,no-any-return"
# Not using ``from __future__ import annotations``: resolvers here name per-tenant classes.

import base64
import binascii
import datetime as dt
import decimal
import uuid
from enum import Enum
from functools import cache, lru_cache
from typing import Annotated, Any

import strawberry
from sqlalchemy import Table, select
from strawberry.scalars import JSON
from strawberry.utils.str_converters import to_camel_case

from rapport.context import RequestContext
from rapport.errors import BadInput
from rapport.ids import from_global_id, to_global_id
from rapport.models import AuditEntry, CustomFieldDefinition, table_of
from rapport.resolvers.pagination import MAX_PAGE
from rapport.schema.common import PageInfo
from rapport.schema.entities import ENTITIES
from rapport.schema.roots import RootField

Info = strawberry.Info[RequestContext, None]
AUDIT = table_of(AuditEntry)


@strawberry.enum(description="What happened to the record.")
class AuditAction(Enum):
    CREATE = strawberry.enum_value("CREATE", description="The record was created.")
    UPDATE = strawberry.enum_value("UPDATE", description="Fields of the record changed.")
    DELETE = strawberry.enum_value("DELETE", description="The record was deleted (soft deletes can be restored).")
    RESTORE = strawberry.enum_value("RESTORE", description="A deleted record was restored.")
    ERASE = strawberry.enum_value("ERASE", description="customerErase anonymised the record's personal data.")
    PURGE = strawberry.enum_value("PURGE", description="`rapport purge` removed the deleted record for good.")


def _type_names() -> dict[str, str]:
    names = {e.table.name: e.name for e in ENTITIES.values()}
    names[table_of(CustomFieldDefinition).name] = "CustomFieldDefinition"
    return names


@cache
def references(table_name: str) -> dict[str, str]:
    """Columns of ``table_name`` that point at another record, with the GraphQL type they point at."""
    names = _type_names()
    table: Table = next(e.table for e in ENTITIES.values() if e.table.name == table_name)
    found = {}
    for constraint in table.foreign_key_constraints:
        columns = [c.name for c in constraint.columns if c.name != "tenant_id"]
        target = names.get(constraint.referred_table.name)
        if len(columns) == 1 and target is not None:
            found[columns[0]] = target
    return found


def api_name(column: str) -> str:
    """A stored field's name in the API: columns in camelCase, custom fields as ``custom.<key>``."""
    return column if column.startswith("custom.") else to_camel_case(column)


def api_value(value: Any, target: str | None = None) -> Any:
    """A stored value as JSON: ids as global IDs (when ``target`` names their type), times and dates in ISO-8601,
    decimals as strings (exact)."""
    if value is None:
        return None
    if target is not None:
        return to_global_id(target, value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return None
    return value


def _entity_table(entity: str) -> str | None:
    return next((table for table, name in _type_names().items() if name == entity), None)


@strawberry.type(description="One changed field of an audited record, in stored form.")
class AuditChange:
    field: str = strawberry.field(
        description="The field: a core field by its API name (e.g. `email`, `addressCity`), a custom field as "
        "`custom.<key>`."
    )
    before: JSON | None = strawberry.field(description="The value before the change (null when there was none).")
    after: JSON | None = strawberry.field(description="The value after the change (null when removed).")


def _changes(entity: str, stored: dict[str, Any]) -> list[AuditChange]:
    table = _entity_table(entity)
    refs = references(table) if table is not None and table != "custom_field_definitions" else {}

    def shown(column: str, value: Any) -> Any:
        target = refs.get(column)
        if target is not None and isinstance(value, str):
            try:
                return api_value(uuid.UUID(value), target)
            except ValueError:
                return value
        return value

    return [
        AuditChange(
            field=api_name(column), before=shown(column, diff.get("before")), after=shown(column, diff.get("after"))
        )
        for column, diff in sorted(stored.items())
    ]


def _cursor(entry_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"audit:{entry_id}".encode()).decode().rstrip("=")


def _after(cursor: str) -> uuid.UUID:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        if prefix != "audit":
            raise ValueError(prefix)
        return uuid.UUID(value)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadInput("invalid cursor: it is malformed or belongs to another list") from exc


@lru_cache(maxsize=1)
def _types(user_cls: Any) -> Any:
    async def resolve_actor(root: strawberry.Parent[Any], info: Info) -> user_cls | None:
        if root.actor_user_id is None:
            return None
        decoded = from_global_id(str(root.actor_user_id))
        assert decoded is not None
        return await info.context.loaders.by_id(ENTITIES["User"]).load(decoded[1])

    @strawberry.type(name="AuditEntry", description="One change to one record: who, when, what, and how.")
    class AuditEntryView:
        id: strawberry.ID = strawberry.field(description="ID of the entry.")
        occurred_at: dt.datetime = strawberry.field(description="When the change was made.")
        action: AuditAction = strawberry.field(description="What happened.")
        entity: str = strawberry.field(description="The record's type, e.g. Customer or CustomFieldDefinition.")
        entity_id: strawberry.ID = strawberry.field(description="The record's global ID (it may since be deleted).")
        customer_id: strawberry.ID | None = strawberry.field(description="The customer the record is about, if any.")
        actor_user_id: strawberry.ID | None = strawberry.field(
            description="The user whose token made the change (null for the operators' CLI)."
        )
        token_id: strawberry.ID | None = strawberry.field(description="The API token used (ApiToken global ID).")
        request_id: str | None = strawberry.field(description="The request that made it (quoted in server logs).")
        changes: list[AuditChange] = strawberry.field(
            description="Changed fields with their values before and after (for CREATE: the values set; for a hard "
            "DELETE: the values removed; for PURGE: none). Custom fields included, as stored."
        )

        actor: user_cls | None = strawberry.field(
            resolver=resolve_actor, description="The user who made the change, when they still exist."
        )

    @strawberry.type(name="AuditEntryEdge", description="An audit entry and its cursor.")
    class AuditEntryEdge:
        cursor: str = strawberry.field(description="Pass as `after` to continue after this entry.")
        node: AuditEntryView = strawberry.field(description="The entry.")

    @strawberry.type(name="AuditEntryConnection", description="A page of audit entries, newest first.")
    class AuditEntryConnection:
        edges: list[AuditEntryEdge] = strawberry.field(description="The entries of this page.")
        page_info: PageInfo = strawberry.field(description="Where the page sits in the whole list.")

    return AuditEntryView, AuditEntryEdge, AuditEntryConnection


def entry_json(row: Any, ctx: RequestContext) -> dict[str, Any]:
    """An audit row as plain JSON (for customerExport), without custom fields the reader's role may not see."""
    return {
        "id": to_global_id("AuditEntry", row.id),
        "occurredAt": row.occurred_at.isoformat(),
        "action": row.action,
        "entity": row.entity,
        "entityId": to_global_id(row.entity, row.entity_id),
        "actorUserId": api_value(row.actor_user_id, "User"),
        "requestId": row.request_id,
        "changes": [
            {"field": c.field, "before": c.before, "after": c.after} for c in _changes(row.entity, _visible(row, ctx))
        ],
    }


def _visible(row: Any, ctx: RequestContext) -> dict[str, Any]:
    """The entry's changes without custom fields the reader's role may not see (their values stay hidden in
    the trail as everywhere else)."""
    entity = ENTITIES.get(row.entity)
    hidden = ctx.hidden_for(entity.custom_entity) if entity is not None else {}
    if not hidden:
        return dict(row.changes)
    return {k: v for k, v in row.changes.items() if not (k.startswith("custom.") and k[len("custom.") :] in hidden)}


def query_fields(objects: dict[str, Any]) -> dict[str, RootField]:
    view, edge, connection = _types(objects["User"])

    def to_view(row: Any, ctx: RequestContext) -> Any:
        return view(
            id=strawberry.ID(to_global_id("AuditEntry", row.id)),
            occurred_at=row.occurred_at,
            action=AuditAction[row.action],
            entity=row.entity,
            entity_id=strawberry.ID(to_global_id(row.entity, row.entity_id)),
            customer_id=api_value(row.customer_id, "Customer"),
            actor_user_id=api_value(row.actor_user_id, "User"),
            token_id=api_value(row.actor_token_id, "ApiToken"),
            request_id=row.request_id,
            changes=_changes(row.entity, _visible(row, ctx)),
        )

    async def audit_log(
        info: Info,
        first: Annotated[int, strawberry.argument(description=f"How many entries (1 to {MAX_PAGE}).")],
        after: Annotated[str | None, strawberry.argument(description="Continue after this cursor.")] = None,
        entity_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only entries about this record (any type).")
        ] = None,
    ) -> connection:
        ctx = info.context
        if not 1 <= first <= MAX_PAGE:
            raise BadInput(f"`first` must be between 1 and {MAX_PAGE}")
        where = [AUDIT.c.tenant_id == ctx.tenant_id]
        if entity_id is not None:
            decoded = from_global_id(str(entity_id))
            if decoded is None:
                raise BadInput(f"{entity_id!r} is not an ID")
            where += [AUDIT.c.entity == decoded[0], AUDIT.c.entity_id == decoded[1]]
        if not ctx.actor.at_least("ADMIN"):
            where.append(AUDIT.c.actor_user_id == ctx.actor.user_id)
        if after is not None:
            where.append(AUDIT.c.id < _after(after))
        rows = (await ctx.conn.execute(select(AUDIT).where(*where).order_by(AUDIT.c.id.desc()).limit(first + 1))).all()
        page = rows[:first]
        edges = [edge(cursor=_cursor(r.id), node=to_view(r, ctx)) for r in page]
        return connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > first,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )

    return {
        "audit_log": RootField(
            audit_log,
            "The audit trail, newest first: every create, update, delete, restore, erase and purge of a record, and "
            "every custom-field definition change, with who made it and the fields' values before and after. "
            "ADMIN and OWNER see all entries; other roles see the changes they made themselves.",
        )
    }
