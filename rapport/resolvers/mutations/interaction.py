"""Rules for interactions: about a customer or a lead; linked records must be the customer's own."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rapport.context import RequestContext
from rapport.errors import UserErrorCode
from rapport.resolvers.mutations.common import belongs_to, effective
from rapport.resolvers.mutations.crud import RULES, NoRules, Problems

# The records an interaction may be about that belong to a customer: (column, input name).
LINKS = (
    ("contact_id", "contactId"),
    ("opportunity_id", "opportunityId"),
    ("order_id", "orderId"),
    ("case_id", "serviceCaseId"),
)


class InteractionRules(NoRules):
    async def check(
        self, ctx: RequestContext, values: dict[str, Any], current: Any, problems: Problems, extras: dict[str, Any]
    ) -> None:
        if current is None:
            values.setdefault("occurred_at", dt.datetime.now(dt.UTC))
            values.setdefault("owner_id", ctx.actor.user_id)
        customer_id = effective(values, current, "customer_id")
        if customer_id is None and effective(values, current, "lead_id") is None:
            problems.add(["input", "customerId"], UserErrorCode.REQUIRED, "give the customer or the lead")
        if customer_id is None:
            # Contacts, deals, orders and cases are a customer's: without the customer the interaction would not
            # show among theirs.
            for column, name in LINKS:
                if values.get(column) is not None and not any(p.field == ["input", name] for p in problems.items):
                    problems.add(["input", name], UserErrorCode.INVALID, "give the customer this belongs to")
            kept = [name for column, name in LINKS if column not in values and getattr(current, column, None)]
            if kept:
                problems.add(
                    ["input", "customerId"],
                    UserErrorCode.INVALID,
                    f"the interaction is about the customer's {', '.join(kept)}; clear that too",
                )
        for (column, name), child in zip(LINKS, ("Contact", "Opportunity", "Order", "ServiceCase"), strict=True):
            if column in values or "customer_id" in values:  # a new customer must own the links kept too
                await belongs_to(
                    ctx,
                    problems,
                    child=child,
                    child_id=effective(values, current, column),
                    column="customer_id",
                    parent_id=customer_id,
                    path=["input", name],
                    what=f"the {child} belongs to another customer",
                )


RULES["Interaction"] = InteractionRules()
