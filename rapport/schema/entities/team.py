"""Sales teams."""

from __future__ import annotations

from rapport.models import Team, table_of
from rapport.schema.declarations import Children, Column, Entity, Input
from rapport.schema.entities.common import TIMESTAMPS
from rapport.schema.filters import StringFilter
from rapport.validation import name_text, text

TEAM = Entity(
    name="Team",
    table=table_of(Team),
    description="A sales team; users belong to at most one.",
    custom_entity="TEAM",
    root_field="teams",
    write_role="ADMIN",
    fields=(
        Column("name", str, "The team's name (unique in the tenant).", filter=StringFilter, sort=True),
        Column("description", str | None, "What the team does."),
        Children("members", "User", "team_id", "Users in this team."),
        *TIMESTAMPS,
    ),
    inputs=(
        Input("name", str, "The team's name (unique in the tenant).", required=True, parse=name_text, nullable=False),
        Input("description", str | None, "What the team does.", parse=text(1000)),
    ),
)
