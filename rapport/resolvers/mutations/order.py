"""Rules for orders: lines and totals computed exactly, order numbers, and which status changes are allowed."""

from __future__ import annotations

import datetime as dt
import decimal
import secrets
from typing import Any

from sqlalchemy import delete, insert, select

from rapport.context import RequestContext
from rapport.customfields.types.base import FieldValueError
from rapport.errors import UserErrorCode
from rapport.ids import from_global_id, new_id
from rapport.resolvers.mutations.common import default_currency, effective
from rapport.resolvers.mutations.crud import RULES, NoRules, Problems
from rapport.schema.entities.order import ORDER, ORDER_ITEM
from rapport.schema.entities.product import PRODUCT
from rapport.validation import money

MAX_LINES = 500
MAX_QUANTITY = 100_000
MAX_NUMBER_TRIES = 5
CENT = decimal.Decimal("0.01")

# Status changes an order may make. Refunds follow payment; cancelling is only for unpaid orders.
TRANSITIONS: dict[str, frozenset[str]] = {
    "PENDING": frozenset({"PAID", "CANCELLED"}),
    "PAID": frozenset({"SHIPPED", "COMPLETED", "REFUNDED"}),
    "SHIPPED": frozenset({"DELIVERED", "REFUNDED"}),
    "DELIVERED": frozenset({"COMPLETED", "REFUNDED"}),
    "COMPLETED": frozenset({"REFUNDED"}),
    "CANCELLED": frozenset(),
    "REFUNDED": frozenset(),
}
# Orders in these states count as revenue (lifetime value, order count).
REVENUE_STATUSES = ("PAID", "SHIPPED", "DELIVERED", "COMPLETED")


def order_number() -> str:
    today = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    return f"SO-{today}-{secrets.token_hex(4).upper()}"


async def free_order_number(ctx: RequestContext) -> str:
    """A generated order number no order of the tenant has (deleted ones included: the index covers them).
    Checked, because random numbers do collide: with 6 hex digits per day, a tenant taking a few thousand
    orders a day would see a generated number clash most days."""
    orders = ORDER.table
    for _ in range(MAX_NUMBER_TRIES):
        candidate = order_number()
        taken = await ctx.conn.execute(
            select(orders.c.id).where(orders.c.tenant_id == ctx.tenant_id, orders.c.order_number == candidate)
        )
        if taken.first() is None:
            return candidate
    return order_number()  # practically unreachable; the unique index still guards


def _amount(value: Any, default: decimal.Decimal, path: list[str], problems: Problems) -> decimal.Decimal | None:
    if value is None:
        return default
    try:
        return money(value)
    except FieldValueError as exc:
        problems.add(path, exc.code, exc.message)
        return None


class OrderRules(NoRules):
    rewrites = True  # totals are written with the lines; read the order back

    async def check(
        self, ctx: RequestContext, values: dict[str, Any], current: Any, problems: Problems, extras: dict[str, Any]
    ) -> None:
        default_currency(ctx, values, current)
        if current is None:
            if "order_number" not in values:
                values["order_number"] = await free_order_number(ctx)
            status = values.get("status", "PENDING")
            if status not in ("PENDING", "PAID"):
                problems.add(["input", "status"], UserErrorCode.INVALID_STATE, "a new order is PENDING or PAID")
        else:
            self._check_transition(values, current, problems)
            if "customer_id" in values and values["customer_id"] != current.customer_id:
                problems.add(["input", "customerId"], UserErrorCode.INVALID_STATE, "an order's customer cannot change")
            if "currency" in values and values["currency"] != current.currency:
                problems.add(["input", "currency"], UserErrorCode.INVALID_STATE, "an order's currency cannot change")
        if effective(values, current, "status") == "PAID" and effective(values, current, "paid_at") is None:
            values["paid_at"] = dt.datetime.now(dt.UTC)
        lines = extras.get("items")
        if lines is None:
            if current is None:
                problems.add(["input", "items"], UserErrorCode.REQUIRED, "an order needs at least one line")
            return
        if current is not None and current.status != "PENDING":
            problems.add(["input", "items"], UserErrorCode.INVALID_STATE, "lines can change only while PENDING")
            return
        extras["items"] = await self._lines(ctx, lines, effective(values, current, "currency"), values, problems)

    def _check_transition(self, values: dict[str, Any], current: Any, problems: Problems) -> None:
        status = values.get("status", current.status)
        if status != current.status and status not in TRANSITIONS[current.status]:
            allowed = ", ".join(sorted(TRANSITIONS[current.status])) or "none"
            problems.add(
                ["input", "status"],
                UserErrorCode.INVALID_STATE,
                f"an order cannot go from {current.status} to {status} (allowed: {allowed})",
            )

    async def _lines(
        self, ctx: RequestContext, lines: list[Any], currency: str, values: dict[str, Any], problems: Problems
    ) -> list[dict[str, Any]]:
        if not lines:
            problems.add(["input", "items"], UserErrorCode.REQUIRED, "an order needs at least one line")
            return []
        if len(lines) > MAX_LINES:
            problems.add(["input", "items"], UserErrorCode.LIMIT_EXCEEDED, f"at most {MAX_LINES} lines")
            return []
        parsed: list[dict[str, Any]] = []
        subtotal = discount_total = decimal.Decimal("0.00")
        for index, line in enumerate(lines):
            path = ["input", "items", str(index)]
            decoded = from_global_id(str(line.product_id))
            product = None
            if decoded is not None and decoded[0] == "Product":
                product = await ctx.loaders.by_id(PRODUCT).load(decoded[1])
            if product is None:
                problems.add([*path, "productId"], UserErrorCode.NOT_FOUND, "no such Product in this tenant")
                continue
            if not product.active:
                problems.add([*path, "productId"], UserErrorCode.INVALID_STATE, "the product is inactive")
                continue
            if not 1 <= line.quantity <= MAX_QUANTITY:
                problems.add([*path, "quantity"], UserErrorCode.INVALID, f"between 1 and {MAX_QUANTITY}")
                continue
            unit_price = _amount(line.unit_price, product.unit_price, [*path, "unitPrice"], problems)
            discount = _amount(line.discount, decimal.Decimal("0.00"), [*path, "discount"], problems)
            if unit_price is None or discount is None:
                continue
            if line.unit_price is None and product.currency != currency:
                problems.add(
                    [*path, "unitPrice"],
                    UserErrorCode.INVALID,
                    f"the product is priced in {product.currency}; give a unit price in {currency}",
                )
                continue
            gross = (unit_price * line.quantity).quantize(CENT)
            if discount > gross:
                problems.add([*path, "discount"], UserErrorCode.TOO_LARGE, "more than the line's value")
                continue
            subtotal += gross
            discount_total += discount
            parsed.append(
                {
                    "position": index + 1,
                    "product_id": product.id,
                    "quantity": line.quantity,
                    "unit_price": unit_price,
                    "discount": discount,
                    "line_total": gross - discount,
                }
            )
        values.update(subtotal=subtotal, discount_total=discount_total, total=subtotal - discount_total)
        return parsed

    async def after_write(self, ctx: RequestContext, record: Any, current: Any, extras: dict[str, Any]) -> None:
        lines = extras.get("items")
        if lines is None:
            return
        items = ORDER_ITEM.table
        if current is not None:
            await ctx.conn.execute(
                delete(items).where(items.c.tenant_id == ctx.tenant_id, items.c.order_id == record.id)
            )
        await ctx.conn.execute(
            insert(items),
            [{"tenant_id": ctx.tenant_id, "id": new_id(), "order_id": record.id, **line} for line in lines],
        )


RULES["Order"] = OrderRules()
