"""Rules for interactions: about a customer or a lead; linked records must be the customer's own."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rapport.context import RequestContext
from rapport.errors import UserErrorCode
from rapport.resolvers.mutations.common import belongs_to, effective
from rapport.resolvers.mutations.crud import RULES, NoRules, Problems
from rapport.resolvers.mutations.simple import refuse_inactive_user


class InteractionRules(NoRules):
    async def check(
        self, ctx: RequestContext, values: dict[str, Any], current: Any, problems: Problems, extras: dict[str, Any]
    ) -> None:
        await refuse_inactive_user(ctx, problems, values, current, "owner_id", ["input", "ownerId"])
        if current is None:
            values.setdefault("occurred_at", dt.datetime.now(dt.UTC))
            values.setdefault("owner_id", ctx.actor.user_id)
        customer_id = effective(values, current, "customer_id")
        if customer_id is None and effective(values, current, "lead_id") is None:
            problems.add(["input", "customerId"], UserErrorCode.REQUIRED, "give the customer or the lead")
        for child, column, name in (("Contact", "contact_id", "contactId"), ("Opportunity", "opportunity_id",
                                    "opportunityId"), ("Order", "order_id", "orderId"),
                                    ("ServiceCase", "case_id", "serviceCaseId")):
            await belongs_to(ctx, problems, child=child, child_id=values.get(column), column="customer_id",
                             parent_id=customer_id, path=["input", name],
                             what=f"the {child} belongs to another customer")


RULES["Interaction"] = InteractionRules()
