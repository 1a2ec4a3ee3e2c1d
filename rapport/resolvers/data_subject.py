"""Data-subject rights: ``customerExport`` (everything held about a customer, as JSON) and ``customerErase``
(anonymise it everywhere, keeping non-personal aggregates). Both are for ADMIN and OWNER.

What erase changes, all in one savepoint:

- the customer: name becomes "Erased customer"; gender, birthday, occupation, email, phone, address, tags,
  preferences, interests and custom values are cleared; ``erased_at`` is set;
- its contacts and the leads converted into it: names replaced, other personal fields and custom values cleared;
- its orders: recipient name, phone and address cleared (totals, lines, statuses stay);
- its interactions (also those of its converted leads): subject, content and outcome cleared;
- its feedback comments, service-case texts, and opportunity names or lost reasons that mention it;
- custom values on those records that mention it; stored Idempotency-Key responses that mention it;
- history the app role cannot change (append-only): ledger notes, tracking-event locations and notes, and the
  audit trail's before/after values about it, through ``rapport_erase_customer_history`` (a SECURITY DEFINER
  function limited to an already-erased customer of the caller's tenant).

Ledger amounts, order totals, statuses and dates stay, so figures and reports keep adding up. Erasing twice
is harmless.
"""
# mypy: disable-error-code="valid-type,no-any-return"
# Not using ``from __future__ import annotations``: resolvers here name per-tenant classes.

import datetime as dt
from functools import lru_cache
from typing import Annotated, Any

import strawberry
from sqlalchemy import ColumnElement, Table, bindparam, case, func, literal, or_, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.types import Text
from strawberry.scalars import JSON

from rapport.context import RequestContext
from rapport.errors import UserErrorCode
from rapport.ids import from_global_id, to_global_id
from rapport.models import AuditEntry, IdempotencyKey, MemberAccount, table_of
from rapport.resolvers.audit import api_name, api_value, entry_json, references
from rapport.resolvers.mutations.crud import Problems
from rapport.schema.common import UserError
from rapport.schema.entities import ENTITIES
from rapport.schema.roots import RootField

Info = strawberry.Info[RequestContext, None]
ERASED = "[erased]"
TEXT_TYPES = ("TEXT", "LONG_TEXT", "EMAIL", "PHONE", "URL")


def _table(name: str) -> Table:
    return ENTITIES[name].table


def _record_json(ctx: RequestContext, entity: str, row: Any) -> dict[str, Any]:
    """A row as JSON: API names, global IDs for the record and the records it points at, custom values as stored
    (without fields the reader's role may not see)."""
    table = _table(entity)
    refs = references(table.name)
    hidden = ctx.hidden_for(ENTITIES[entity].custom_entity)
    out: dict[str, Any] = {}
    for column in table.columns:
        if column.name == "tenant_id":
            continue
        value = getattr(row, column.name)
        if column.name == "id":
            out["id"] = to_global_id(entity, value)
        elif column.name == "custom":
            out["custom"] = {k: v for k, v in (value or {}).items() if k not in hidden}
        else:
            out[api_name(column.name)] = api_value(value, refs.get(column.name))
    return out


def _withholds(ctx: RequestContext, entities: list[str]) -> bool:
    """Whether the reader's role cannot see some custom field of these entities (the export is then partial)."""
    return any(ctx.hidden_for(ENTITIES[entity].custom_entity) for entity in entities)


async def _rows(ctx: RequestContext, entity: str, *conditions: ColumnElement[bool]) -> list[Any]:
    """Every matching row of ``entity`` in the tenant, deleted ones included (they are still held)."""
    table = _table(entity)
    statement = select(*table.columns).where(table.c.tenant_id == ctx.tenant_id, *conditions).order_by(table.c.id)
    return list((await ctx.conn.execute(statement)).all())


async def _customer_row(ctx: RequestContext, global_id: str) -> Any:
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] != "Customer":
        return None
    rows = await _rows(ctx, "Customer", _table("Customer").c.id == decoded[1])
    return rows[0] if rows else None


async def export(ctx: RequestContext, customer: Any) -> dict[str, Any]:
    """All personal data held about ``customer``, and the audit entries about it."""
    cid = customer.id
    leads = await _rows(ctx, "Lead", _table("Lead").c.customer_id == cid)
    lead_ids = [r.id for r in leads]
    orders = await _rows(ctx, "Order", _table("Order").c.customer_id == cid)
    order_ids = [r.id for r in orders]
    items = await _rows(ctx, "OrderItem", _table("OrderItem").c.order_id.in_(order_ids))
    events = await _rows(ctx, "ShipmentEvent", _table("ShipmentEvent").c.order_id.in_(order_ids))

    def by_customer(entity: str) -> ColumnElement[bool]:
        return _table(entity).c.customer_id == cid

    def of_customer_or_leads(entity: str) -> ColumnElement[bool]:
        table = _table(entity)
        return or_(table.c.customer_id == cid, table.c.lead_id.in_(lead_ids))

    contacts = await _rows(ctx, "Contact", by_customer("Contact"))
    interactions = await _rows(ctx, "Interaction", of_customer_or_leads("Interaction"))
    feedback = await _rows(ctx, "Feedback", by_customer("Feedback"))
    cases = await _rows(ctx, "ServiceCase", by_customer("ServiceCase"))
    opportunities = await _rows(ctx, "Opportunity", by_customer("Opportunity"))
    ledger = await _rows(ctx, "LedgerEntry", by_customer("LedgerEntry"))
    memberships = await _rows(ctx, "CampaignMember", of_customer_or_leads("CampaignMember"))
    accounts = table_of(MemberAccount)
    account = (
        await ctx.conn.execute(select(accounts).where(accounts.c.tenant_id == ctx.tenant_id, accounts.c.id == cid))
    ).first()

    subjects = [cid, *lead_ids, *order_ids]
    for group in (items, events, contacts, interactions, feedback, cases, opportunities, ledger, memberships):
        subjects += [r.id for r in group]
    audit = table_of(AuditEntry)
    trail = (
        await ctx.conn.execute(
            select(audit)
            .where(audit.c.tenant_id == ctx.tenant_id, or_(audit.c.customer_id == cid, audit.c.entity_id.in_(subjects)))
            .order_by(audit.c.id)
        )
    ).all()

    def listed(entity: str, rows: list[Any]) -> list[dict[str, Any]]:
        return [_record_json(ctx, entity, r) for r in rows]

    return {
        "exportedAt": dt.datetime.now(dt.UTC).isoformat(),
        # Field permissions hold here too: values of custom fields hidden from the reader's role are left out
        # (of records and of the audit trail), and the export says it is partial.
        "complete": not _withholds(ctx, EXPORTED),
        "customer": _record_json(ctx, "Customer", customer),
        "contacts": listed("Contact", contacts),
        "orders": [
            {
                **_record_json(ctx, "Order", order),
                "items": listed("OrderItem", [i for i in items if i.order_id == order.id]),
                "shipmentEvents": listed("ShipmentEvent", [e for e in events if e.order_id == order.id]),
            }
            for order in orders
        ],
        "interactions": listed("Interaction", interactions),
        "feedback": listed("Feedback", feedback),
        "cases": listed("ServiceCase", cases),
        "opportunities": listed("Opportunity", opportunities),
        "ledger": {
            "points": api_value(account.points) if account else "0.00",
            "balance": api_value(account.balance) if account else "0.00",
            "entries": listed("LedgerEntry", ledger),
        },
        "campaignMemberships": listed("CampaignMember", memberships),
        "leads": listed("Lead", leads),
        "auditLog": [entry_json(r, ctx) for r in trail],
    }


# Every entity whose records an export lists.
EXPORTED = [
    "Customer",
    "Contact",
    "Order",
    "OrderItem",
    "ShipmentEvent",
    "Interaction",
    "Feedback",
    "ServiceCase",
    "Opportunity",
    "LedgerEntry",
    "CampaignMember",
    "Lead",
]


def _terms(ctx: RequestContext, customer: Any, contacts: list[Any], leads: list[Any], orders: list[Any]) -> list[str]:
    """The strings that identify the person, to find them where they were copied (history, stored responses)."""
    found: set[str] = set()
    for row, columns in (
        (customer, ("name", "email", "phone", "address_street")),
        *((c, ("name", "email", "phone")) for c in contacts),
        *((lead, ("name", "email", "phone")) for lead in leads),
        *((o, ("recipient_name", "recipient_phone", "recipient_street")) for o in orders),
    ):
        found.update(getattr(row, c) for c in columns if getattr(row, c))
    textual = {k for k, d in ctx.custom_for("CUSTOMER").items() if d.type in TEXT_TYPES}
    found.update(v for k, v in customer.custom.items() if k in textual and isinstance(v, str) and v)
    return sorted(found)


async def erase(ctx: RequestContext, customer: Any) -> None:
    if customer.erased_at is not None:
        return
    cid = customer.id
    contacts = await _rows(ctx, "Contact", _table("Contact").c.customer_id == cid)
    leads = await _rows(ctx, "Lead", _table("Lead").c.customer_id == cid)
    orders = await _rows(ctx, "Order", _table("Order").c.customer_id == cid)
    terms_list = _terms(ctx, customer, contacts, leads, orders)
    terms = bindparam("terms", terms_list, type_=ARRAY(Text))
    lead_ids = [r.id for r in leads]

    def scrubbed(column: Any) -> Any:
        return func.rapport_scrub(column, terms, type_=JSONB)

    def mentions(column: Any) -> ColumnElement[bool]:
        as_json = func.to_jsonb(column)
        return func.rapport_scrub(as_json, terms, type_=JSONB) != as_json

    async def change(entity: str, condition: ColumnElement[bool], **values: Any) -> None:
        table = _table(entity)
        await ctx.conn.execute(
            update(table)
            .where(table.c.tenant_id == ctx.tenant_id, condition)
            .values(**values, version=table.c.version + 1, updated_at=func.now())
        )

    empty = literal([], ARRAY(Text))
    async with ctx.conn.begin_nested():
        # The audit trigger records these changes as ERASE; their old values are scrubbed at the end.
        await ctx.conn.execute(text("SELECT set_config('rapport.audit_action', 'ERASE', true)"))
        customers = _table("Customer")
        await change(
            "Customer",
            customers.c.id == cid,
            name="Erased customer",
            gender=None,
            birthday=None,
            occupation=None,
            email=None,
            phone=None,
            address_country=None,
            address_region=None,
            address_city=None,
            address_street=None,
            address_postal_code=None,
            tags=empty,
            preferred_channel=None,
            interests=empty,
            payment_method_preference=None,
            custom={},
            erased_at=func.now(),
        )
        await change(
            "Contact",
            _table("Contact").c.customer_id == cid,
            name="Erased contact",
            title=None,
            decision_role=None,
            email=None,
            phone=None,
            custom={},
        )
        await change(
            "Lead",
            _table("Lead").c.customer_id == cid,
            name="Erased lead",
            company=None,
            title=None,
            email=None,
            phone=None,
            tags=empty,
            custom={},
        )
        orders_table = _table("Order")
        await change(
            "Order",
            orders_table.c.customer_id == cid,
            recipient_name=None,
            recipient_phone=None,
            recipient_country=None,
            recipient_region=None,
            recipient_city=None,
            recipient_street=None,
            recipient_postal_code=None,
            custom=scrubbed(orders_table.c.custom),
        )
        interactions = _table("Interaction")
        await change(
            "Interaction",
            or_(interactions.c.customer_id == cid, interactions.c.lead_id.in_(lead_ids)),
            subject=None,
            content=None,
            outcome=None,
            custom=scrubbed(interactions.c.custom),
        )
        feedback = _table("Feedback")
        await change("Feedback", feedback.c.customer_id == cid, comment=None, custom=scrubbed(feedback.c.custom))
        cases = _table("ServiceCase")
        await change(
            "ServiceCase",
            cases.c.customer_id == cid,
            subject="Erased",
            description=None,
            resolution=None,
            custom=scrubbed(cases.c.custom),
        )
        deals = _table("Opportunity")
        await change(
            "Opportunity",
            deals.c.customer_id == cid,
            name=case((mentions(deals.c.name), "Erased opportunity"), else_=deals.c.name),
            lost_reason=case((mentions(deals.c.lost_reason), None), else_=deals.c.lost_reason),
            custom=scrubbed(deals.c.custom),
        )
        keys = table_of(IdempotencyKey)
        await ctx.conn.execute(
            update(keys)
            .where(keys.c.tenant_id == ctx.tenant_id, keys.c.response.is_not(None), mentions(keys.c.response))
            .values(response=scrubbed(keys.c.response))
        )
        await ctx.conn.execute(select(func.rapport_erase_customer_history(bindparam("customer", cid), terms)))
        await ctx.conn.execute(text("SELECT set_config('rapport.audit_action', '', true)"))
    ctx.loaders.clear()


@lru_cache(maxsize=1)
def _payload(customer_cls: Any) -> Any:
    @strawberry.type(name="CustomerErasePayload", description="Result of customerErase.")
    class CustomerErasePayload:
        customer: customer_cls | None = strawberry.field(
            description="The anonymised customer (null when it is deleted, or on failure)."
        )
        erased_id: strawberry.ID | None = strawberry.field(description="ID of the erased customer; null on failure.")
        user_errors: list[UserError] = strawberry.field(description="Problems; empty on success.")

    return CustomerErasePayload


CustomerId = Annotated[strawberry.ID, strawberry.argument(description="The customer (deleted ones too).")]


def query_fields(objects: dict[str, Any]) -> dict[str, RootField]:
    async def customer_export(info: Info, id: CustomerId) -> JSON | None:
        ctx = info.context
        customer = await _customer_row(ctx, id)
        return None if customer is None else JSON(await export(ctx, customer))

    return {
        "customer_export": RootField(
            customer_export,
            "Everything held about a customer, as JSON (for a data-subject access request): core and custom "
            "fields, contacts, orders with lines and tracking, interactions, feedback, cases, opportunities, "
            "ledger, campaign memberships, leads converted into it, and the audit entries about them. Deleted "
            "records still held are included. Custom fields the caller's role may not see are left out, and "
            "`complete` is then false. Null when there is no such customer.",
            role="ADMIN",
        )
    }


def mutation_fields(objects: dict[str, Any]) -> dict[str, RootField]:
    payload = _payload(objects["Customer"])

    async def customer_erase(info: Info, id: CustomerId) -> payload:
        ctx = info.context
        customer = await _customer_row(ctx, id)
        if customer is None:
            problems = Problems()
            problems.add(["id"], UserErrorCode.NOT_FOUND, "no such Customer in this tenant")
            return payload(customer=None, erased_id=None, user_errors=problems.items)
        await erase(ctx, customer)
        return payload(
            customer=await ctx.loaders.by_id(ENTITIES["Customer"]).load(customer.id),
            erased_id=strawberry.ID(to_global_id("Customer", customer.id)),
            user_errors=[],
        )

    return {
        "customer_erase": RootField(
            customer_erase,
            "Anonymise a customer's personal data everywhere it appears (the customer, its contacts, converted "
            "leads, order recipients, interactions, feedback, cases, custom values and the audit trail's old "
            "values), keeping non-personal aggregates (order totals, ledger amounts). Cannot be undone.",
            role="ADMIN",
        )
    }


__all__ = ["erase", "export"]
