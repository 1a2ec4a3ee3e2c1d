"""Rules for customers: deleting a customer deletes its contacts with it (restorable together)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, update

from rapport.context import RequestContext
from rapport.resolvers.filtering import base_condition
from rapport.resolvers.mutations.crud import RULES, NoRules
from rapport.schema.entities.contact import CONTACT


class CustomerRules(NoRules):
    async def after_delete(self, ctx: RequestContext, record: Any) -> None:
        contacts = CONTACT.table
        await ctx.conn.execute(
            update(contacts)
            .where(base_condition(CONTACT, ctx.tenant_id), contacts.c.customer_id == record.id)
            .values(deleted_at=func.now(), version=contacts.c.version + 1, updated_at=func.now())
        )


RULES["Customer"] = CustomerRules()
