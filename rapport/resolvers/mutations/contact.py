"""Rules for contacts: a contact belongs to a company customer."""

from __future__ import annotations

from typing import Any

from rapport.context import RequestContext
from rapport.errors import UserErrorCode
from rapport.resolvers.mutations.crud import RULES, NoRules, Problems
from rapport.schema.entities.customer import CUSTOMER


class ContactRules(NoRules):
    async def check(self, ctx: RequestContext, values: dict[str, Any], current: Any, problems: Problems) -> None:
        customer_id = values.get("customer_id")
        if customer_id is None:
            return
        customer = await ctx.loaders.by_id(CUSTOMER).load(customer_id)
        if customer is not None and customer.kind != "COMPANY":
            problems.add(
                ["input", "customerId"],
                UserErrorCode.INVALID,
                "contacts belong to company customers; this customer is a person",
            )


RULES["Contact"] = ContactRules()
