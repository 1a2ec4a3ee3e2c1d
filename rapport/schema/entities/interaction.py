"""Interactions and follow-up records (沟通记录, 跟进记录)."""

from __future__ import annotations

import datetime as dt

import strawberry

from rapport.models import Interaction, table_of
from rapport.schema.declarations import Column, Entity, Input, Reference
from rapport.schema.entities.common import TIMESTAMPS
from rapport.schema.enums import Direction, DirectionFilter, InteractionChannel, InteractionChannelFilter
from rapport.schema.filters import DateFilter, DateTimeFilter, IntFilter, StringFilter
from rapport.validation import any_date, enum_value, instant, int_range, text

INTERACTION = Entity(
    name="Interaction",
    table=table_of(Interaction),
    description="A call, email, chat, meeting, visit or message with a customer or lead, and its follow-up.",
    custom_entity="INTERACTION",
    root_field="interactions",
    fields=(
        Column("channel", InteractionChannel, "How it happened.", filter=InteractionChannelFilter, sort=True),
        Column("direction", Direction, "Who reached out.", filter=DirectionFilter),
        Column("occurred_at", dt.datetime, "When it happened.", filter=DateTimeFilter, sort=True),
        Column("duration_seconds", int | None, "How long it took.", filter=IntFilter, sort=True),
        Column("subject", str | None, "Short summary.", filter=StringFilter),
        Column("content", str | None, "Notes or message text.", filter=StringFilter),
        Column("outcome", str | None, "What came of it.", filter=StringFilter),
        Column("next_follow_up_on", dt.date | None, "When to follow up.", filter=DateFilter, sort=True),
        Reference("customer", "Customer", "customer_id", "The customer."),
        Reference("contact", "Contact", "contact_id", "The contact spoken to."),
        Reference("lead", "Lead", "lead_id", "The lead (for prospects)."),
        Reference("opportunity", "Opportunity", "opportunity_id", "The deal it was about."),
        Reference("order", "Order", "order_id", "The order it was about."),
        Reference("service_case", "ServiceCase", "case_id", "The service case it was about."),
        Reference("owner", "User", "owner_id", "Who handled it."),
        *TIMESTAMPS,
    ),
    inputs=(
        Input("channel", InteractionChannel, "How it happened.", required=True, parse=enum_value, nullable=False),
        Input("direction", Direction, "Who reached out.", required=True, parse=enum_value, nullable=False),
        Input("occurred_at", dt.datetime | None, "When it happened (default: now).", parse=instant, nullable=False),
        Input("customer_id", strawberry.ID | None, "The customer (give a customer or a lead).", reference="Customer"),
        Input("lead_id", strawberry.ID | None, "The lead.", reference="Lead"),
        Input("contact_id", strawberry.ID | None, "The contact spoken to.", reference="Contact"),
        Input("opportunity_id", strawberry.ID | None, "The deal it was about.", reference="Opportunity"),
        Input("order_id", strawberry.ID | None, "The order it was about.", reference="Order"),
        Input(
            "service_case_id",
            strawberry.ID | None,
            "The service case it was about.",
            column="case_id",
            reference="ServiceCase",
        ),
        Input("duration_seconds", int | None, "How long it took (seconds).", parse=int_range(0, 7 * 24 * 3600)),
        Input("subject", str | None, "Short summary.", parse=text(300)),
        Input("content", str | None, "Notes or message text.", parse=text(20000)),
        Input("outcome", str | None, "What came of it.", parse=text(1000)),
        Input("next_follow_up_on", dt.date | None, "When to follow up.", parse=any_date),
        Input("owner_id", strawberry.ID | None, "Who handled it (default: you).", reference="User"),
    ),
)
