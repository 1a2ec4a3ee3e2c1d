"""Rules for service cases: resolution and closing times follow the status; linked orders are the customer's."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rapport.context import RequestContext
from rapport.resolvers.mutations.common import belongs_to, effective
from rapport.resolvers.mutations.crud import RULES, NoRules, Problems


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
            if status in ("OPEN", "IN_PROGRESS", "WAITING_ON_CUSTOMER"):
                values["resolved_at"] = values["closed_at"] = None
        customer_id = effective(values, current, "customer_id")
        await belongs_to(ctx, problems, child="Order", child_id=values.get("order_id"), column="customer_id",
                         parent_id=customer_id, path=["input", "orderId"], what="the order is another customer's")
        await belongs_to(ctx, problems, child="OrderItem", child_id=values.get("order_item_id"), column="order_id",
                         parent_id=effective(values, current, "order_id"), path=["input", "orderItemId"],
                         what="the order line belongs to another order")


RULES["ServiceCase"] = ServiceCaseRules()
