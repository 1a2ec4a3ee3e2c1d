"""Leads (潜在客户): prospects; leadConvert turns one into a customer."""

from __future__ import annotations

import datetime as dt

import strawberry

from rapport.models import Lead, table_of
from rapport.schema.declarations import Children, Column, Entity, Input, Reference
from rapport.schema.entities.common import TIMESTAMPS
from rapport.schema.enums import LeadStatus, LeadStatusFilter
from rapport.schema.filters import DateTimeFilter, IntFilter, StringFilter, StringListFilter
from rapport.validation import (
    enum_value,
    int_range,
    name_text,
    normalise_email,
    normalise_phone,
    tag_list,
    text,
)

LEAD = Entity(
    name="Lead",
    table=table_of(Lead),
    description="A prospect who is not a customer yet.",
    custom_entity="LEAD",
    root_field="leads",
    fields=(
        Column("name", str, "The person's name.", filter=StringFilter, sort=True),
        Column("company", str | None, "The company they work for.", filter=StringFilter, sort=True),
        Column("title", str | None, "Their job title.", filter=StringFilter),
        Column("email", str | None, "Email address (normalised).", filter=StringFilter),
        Column("phone", str | None, "Phone number in E.164 form.", filter=StringFilter),
        Column(
            "source",
            str | None,
            "Source channel, one of the tenant's lead sources (see `tenant`).",
            filter=StringFilter,
        ),
        Column("status", LeadStatus, "Where the lead stands.", filter=LeadStatusFilter, sort=True),
        Column("score", int, "Lead score, 0 to 100.", filter=IntFilter, sort=True),
        Column("tags", list[str], "Free-form labels.", filter=StringListFilter),
        Column("converted_at", dt.datetime | None, "When the lead was converted.", filter=DateTimeFilter, sort=True),
        Reference("owner", "User", "owner_id", "The user working the lead."),
        Reference("customer", "Customer", "customer_id", "The customer the lead became."),
        Reference("contact", "Contact", "contact_id", "The contact the lead became."),
        Reference("opportunity", "Opportunity", "opportunity_id", "The opportunity created on conversion."),
        Children("interactions", "Interaction", "lead_id", "Interactions with this lead."),
        *TIMESTAMPS,
    ),
    inputs=(
        Input("name", str, "The person's name.", required=True, parse=name_text, nullable=False),
        Input("company", str | None, "The company they work for.", parse=text(200)),
        Input("title", str | None, "Their job title.", parse=text(200)),
        Input("email", str | None, "Email address.", parse=normalise_email),
        Input("phone", str | None, "Phone number in international form.", parse=normalise_phone),
        Input("source", str | None, "Source channel; must be one of the tenant's lead sources.", parse=text(50)),
        Input(
            "status",
            LeadStatus | None,
            "Where the lead stands (CONVERTED only through leadConvert).",
            parse=enum_value,
            nullable=False,
        ),
        Input("score", int | None, "Lead score, 0 to 100.", parse=int_range(0, 100), nullable=False),
        Input("tags", list[str] | None, "Free-form labels.", parse=tag_list, nullable=False),
        Input("owner_id", strawberry.ID | None, "The user working the lead.", reference="User"),
    ),
)
