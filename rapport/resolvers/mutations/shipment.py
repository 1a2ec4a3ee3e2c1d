"""orderAddShipmentEvent: append a tracking event; the order's shippingStatus follows the latest one."""
# Payload and row types are built at run time around generated classes; mypy cannot follow them.
# mypy: disable-error-code="valid-type,no-any-return,untyped-decorator"

import datetime as dt
from functools import lru_cache
from typing import Annotated, Any

import strawberry
from sqlalchemy import func, insert, select, update

from rapport.context import RequestContext
from rapport.customfields.types.base import FieldValueError
from rapport.errors import UserErrorCode
from rapport.ids import new_id
from rapport.resolvers.filtering import base_condition
from rapport.resolvers.mutations import crud
from rapport.resolvers.mutations.crud import Problems
from rapport.schema.common import UserError
from rapport.schema.entities.order import ORDER, SHIPMENT_EVENT
from rapport.schema.roots import RootField
from rapport.validation import instant, text

Info = strawberry.Info[RequestContext, None]
SHIPPABLE = ("PAID", "SHIPPED", "DELIVERED", "COMPLETED")


@strawberry.input(description="A tracking event reported by the carrier.")
class ShipmentEventInput:
    status: str = strawberry.field(description="What happened, e.g. PICKED_UP, IN_TRANSIT, DELIVERED.")
    occurred_at: dt.datetime | None = strawberry.field(default=None, description="When (default: now).")
    location: str | None = strawberry.field(default=None, description="Where.")
    note: str | None = strawberry.field(default=None, description="Carrier's remark.")


def _parse(data: ShipmentEventInput, problems: Problems) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, parse, raw in (
        ("status", text(50, required=True), data.status),
        ("location", text(200), data.location),
        ("note", text(1000), data.note),
        ("occurred_at", instant, data.occurred_at),
    ):
        if raw is None:
            continue
        try:
            values[name] = parse(raw)
        except FieldValueError as exc:
            problems.add(["input", name if name != "occurred_at" else "occurredAt"], exc.code, exc.message)
    if "status" in values:
        values["status"] = values["status"].upper().replace(" ", "_")
    values.setdefault("occurred_at", dt.datetime.now(dt.UTC))
    return values


async def add_event(ctx: RequestContext, order_id: str, data: ShipmentEventInput) -> tuple[Any, Any, list[UserError]]:
    problems = Problems()
    order = await crud.load_current(ctx, ORDER, order_id, Problems())
    if order is None:  # reported against the argument's own name
        problems.add(["orderId"], UserErrorCode.NOT_FOUND, "no such Order in this tenant")
    values = _parse(data, problems)
    if order is not None and order.status not in SHIPPABLE:
        problems.add(["orderId"], UserErrorCode.INVALID_STATE, f"a {order.status} order is not shipped")
    if problems or order is None:
        return None, None, problems.items
    events, orders = SHIPMENT_EVENT.table, ORDER.table
    event_id = new_id()
    async with ctx.conn.begin_nested():
        await ctx.conn.execute(insert(events).values(tenant_id=ctx.tenant_id, id=event_id, order_id=order.id, **values))
        latest = (
            select(events.c.status)
            .where(events.c.tenant_id == ctx.tenant_id, events.c.order_id == order.id)
            .order_by(events.c.occurred_at.desc(), events.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        await ctx.conn.execute(
            update(orders)
            .where(base_condition(ORDER, ctx.tenant_id), orders.c.id == order.id)
            .values(shipping_status=latest, version=orders.c.version + 1, updated_at=func.now())
        )
    ctx.loaders.clear()
    return (await ctx.loaders.by_id(ORDER).load(order.id), await ctx.loaders.by_id(SHIPMENT_EVENT).load(event_id), [])


@lru_cache(maxsize=1)
def _payload(order_cls: Any, event_cls: Any) -> Any:
    @strawberry.type(name="OrderAddShipmentEventPayload", description="Result of orderAddShipmentEvent.")
    class OrderAddShipmentEventPayload:
        order: order_cls | None = strawberry.field(description="The order, with its updated shippingStatus.")
        shipment_event: event_cls | None = strawberry.field(description="The recorded event.")
        user_errors: list[UserError] = strawberry.field(description="Problems; empty on success.")

    return OrderAddShipmentEventPayload


def mutation_fields(objects: dict[str, Any]) -> dict[str, RootField]:
    payload = _payload(objects["Order"], objects["ShipmentEvent"])

    async def order_add_shipment_event(
        info: Info,
        order_id: Annotated[strawberry.ID, strawberry.argument(description="The order.")],
        input: ShipmentEventInput,
    ) -> payload:
        order, event, errors = await add_event(info.context, order_id, input)
        return payload(order=order, shipment_event=event, user_errors=errors)

    return {
        "order_add_shipment_event": RootField(
            order_add_shipment_event,
            "Record a tracking event for a paid order; its shippingStatus becomes the latest event's status.",
            role="MEMBER",
        )
    }
