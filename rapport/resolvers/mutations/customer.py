"""Rules for customers: only a company has contacts, so a company with contacts cannot become a person; deleting
a customer deletes its contacts with it (restorable together)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from rapport.context import RequestContext
from rapport.errors import UserErrorCode
from rapport.resolvers.filtering import base_condition
from rapport.resolvers.mutations.crud import RULES, NoRules, Problems
from rapport.schema.entities.contact import CONTACT
from rapport.schema.entities.customer import CUSTOMER


class CustomerRules(NoRules):
    async def check(
        self, ctx: RequestContext, values: dict[str, Any], current: Any, problems: Problems, extras: dict[str, Any]
    ) -> None:
        if current is None or current.kind == "PERSON" or values.get("kind", current.kind) != "PERSON":
            return
        # Lock the customer before looking at its contacts: contactCreate holds FOR SHARE on it, so no contact
        # can be added between this check and the write.
        customers, contacts = CUSTOMER.table, CONTACT.table
        await ctx.conn.execute(
            select(customers.c.id)
            .where(base_condition(CUSTOMER, ctx.tenant_id), customers.c.id == current.id)
            .with_for_update(key_share=True)
        )
        has_contacts = (
            await ctx.conn.execute(
                select(contacts.c.id)
                .where(base_condition(CONTACT, ctx.tenant_id), contacts.c.customer_id == current.id)
                .limit(1)
            )
        ).first()
        if has_contacts is not None:
            problems.add(
                ["input", "kind"],
                UserErrorCode.INVALID_STATE,
                "this company has contacts; move or delete them before making it a person",
            )

    async def after_delete(self, ctx: RequestContext, record: Any) -> None:
        contacts = CONTACT.table
        await ctx.conn.execute(
            update(contacts)
            .where(base_condition(CONTACT, ctx.tenant_id), contacts.c.customer_id == record.id)
            .values(deleted_at=func.now(), version=contacts.c.version + 1, updated_at=func.now())
        )


RULES["Customer"] = CustomerRules()
