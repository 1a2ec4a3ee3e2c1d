"""Rules for contacts: a contact belongs to a live company customer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from rapport.context import RequestContext
from rapport.errors import UserErrorCode
from rapport.resolvers.filtering import base_condition
from rapport.resolvers.mutations.crud import RULES, NoRules, Problems
from rapport.schema.entities.customer import CUSTOMER

CUSTOMER_PATH = ["input", "customerId"]


class ContactRules(NoRules):
    async def check(
        self, ctx: RequestContext, values: dict[str, Any], current: Any, problems: Problems, extras: dict[str, Any]
    ) -> None:
        customer_id = values.get("customer_id")
        if customer_id is None or any(p.field == CUSTOMER_PATH for p in problems.items):
            return
        # FOR SHARE, held until the request commits: a concurrent customerDelete (or a change of kind) either
        # finishes first, and this read then sees the customer gone, or waits for this request, and then
        # deletes the new contact with the others. The foreign key alone would accept a contact under a
        # customer soft-deleted meanwhile, leaving a contact whose non-null `customer` resolves to nothing.
        customers = CUSTOMER.table
        kind = (
            await ctx.conn.execute(
                select(customers.c.kind)
                .where(base_condition(CUSTOMER, ctx.tenant_id), customers.c.id == customer_id)
                .with_for_update(read=True)
            )
        ).scalar_one_or_none()
        if kind is None:
            problems.add(CUSTOMER_PATH, UserErrorCode.NOT_FOUND, "no such Customer in this tenant")
        elif kind != "COMPANY":
            problems.add(
                CUSTOMER_PATH, UserErrorCode.INVALID, "contacts belong to company customers; this customer is a person"
            )


RULES["Contact"] = ContactRules()
