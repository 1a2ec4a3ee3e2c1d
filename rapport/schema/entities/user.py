"""Users: the people who work in a tenant (sales reps, admins)."""

from __future__ import annotations

import strawberry

from rapport.models import User, table_of
from rapport.schema.declarations import Children, Column, Entity, Input, Reference
from rapport.schema.entities.common import TIMESTAMPS
from rapport.schema.enums import Role, enum_filter
from rapport.schema.filters import BooleanFilter, StringFilter
from rapport.validation import enum_value, name_text, normalise_email

USER = Entity(
    name="User",
    table=table_of(User),
    description="A person who works in the tenant, such as a sales rep or an admin.",
    custom_entity="USER",
    root_field="users",
    soft_delete=False,
    write_role="ADMIN",
    deletable=False,
    fields=(
        Column("name", str, "The user's display name.", filter=StringFilter, sort=True),
        Column("email", str, "The user's sign-in email.", filter=StringFilter, sort=True),
        Column("role", Role, "What the user may do.", filter=enum_filter(Role)),
        Column("active", bool, "Inactive users keep their history but own nothing new.", filter=BooleanFilter),
        Reference("team", "Team", "team_id", "The user's team."),
        Children("customers", "Customer", "owner_id", "Customers this user owns."),
        Children("opportunities", "Opportunity", "owner_id", "Opportunities this user owns."),
        *TIMESTAMPS,
    ),
    inputs=(
        Input("name", str, "Display name.", required=True, parse=name_text, nullable=False),
        Input(
            "email", str, "Sign-in email (unique in the tenant).", required=True, parse=normalise_email, nullable=False
        ),
        Input("role", Role, "What the user may do.", required=True, parse=enum_value, nullable=False),
        Input("team_id", strawberry.ID | None, "The user's team.", reference="Team"),
        Input("active", bool | None, "Whether the user is active.", nullable=False),
    ),
)
