"""Rules for service cases: resolution and closing times follow the status; linked orders are the customer's."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rapport.context import RequestContext
from rapport.errors import UserErrorCode
from rapport.resolvers.mutations.common import belongs_to, effective
from rapport.resolvers.mutations.crud import RULES, NoRules, Problems
from rapport.schema.entities.order import ORDER, ORDER_ITEM


class ServiceCaseRules(NoRules):
    async def check(
        self, ctx: RequestContext, values: dict[str, Any], current: Any, problems: Problems, extras: dict[str, Any]
    ) -> None:
        now = dt.datetime.now(dt.UTC)
        status = values.get("status")
        if status is not None and (current is None or status != current.status):
            if status in ("RESOLVED", "CLOSED") and effective(values, current, "resolved_at") is None:
                values["resolved_at"] = now
            if status == "CLOSED":
                values["closed_at"] = now
            if status == "RESOLVED":  # resolved again after being closed: no longer closed
                values["closed_at"] = None
            if status in ("OPEN", "IN_PROGRESS", "WAITING_ON_CUSTOMER"):
                values["resolved_at"] = values["closed_at"] = None
        customer_id = effective(values, current, "customer_id")
        await self._order_of_line(ctx, values, current, customer_id, problems)
        # Checked whenever one side of a link changes, so a new customer or order cannot strand the others.
        if values.keys() & {"customer_id", "order_id"}:
            await belongs_to(
                ctx,
                problems,
                child="Order",
                child_id=effective(values, current, "order_id"),
                column="customer_id",
                parent_id=customer_id,
                path=["input", "orderId"],
                what="the order is another customer's",
            )
        if values.keys() & {"order_id", "order_item_id"}:
            await belongs_to(
                ctx,
                problems,
                child="OrderItem",
                child_id=effective(values, current, "order_item_id"),
                column="order_id",
                parent_id=effective(values, current, "order_id"),
                path=["input", "orderItemId"],
                what="the order line belongs to another order",
            )

    async def _order_of_line(
        self, ctx: RequestContext, values: dict[str, Any], current: Any, customer_id: Any, problems: Problems
    ) -> None:
        """An order line given without its order brings the order along (which must be the customer's)."""
        item_id = values.get("order_item_id")
        if item_id is None or effective(values, current, "order_id") is not None:
            return
        item = await ctx.loaders.by_id(ORDER_ITEM).load(item_id)
        if item is None:  # reported by the reference check
            return
        order = await ctx.loaders.by_id(ORDER).load(item.order_id)
        if order is None or order.customer_id != customer_id:
            problems.add(["input", "orderItemId"], UserErrorCode.INVALID, "the order line is another customer's")
            return
        values["order_id"] = order.id


RULES["ServiceCase"] = ServiceCaseRules()
