"""Users: the people who work in a tenant (sales reps, admins)."""

from __future__ import annotations

from rapport.models import User, table_of
from rapport.schema.declarations import Column, Entity
from rapport.schema.entities.common import TIMESTAMPS
from rapport.schema.enums import Role, enum_filter
from rapport.schema.filters import StringFilter

USER = Entity(
    name="User",
    table=table_of(User),
    description="A person who works in the tenant, such as a sales rep or an admin.",
    fields=(
        Column("name", str, "The user's display name.", filter=StringFilter, sort=True),
        Column("email", str, "The user's sign-in email.", filter=StringFilter, sort=True),
        Column("role", Role, "What the user may do.", filter=enum_filter(Role)),
        *TIMESTAMPS,
    ),
    root_field="users",
    soft_delete=False,
)
