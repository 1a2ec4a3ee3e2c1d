"""Opportunities (业务机会): potential deals moving through a pipeline."""

from __future__ import annotations

import datetime as dt
import decimal

import strawberry

from rapport.models import Opportunity, table_of
from rapport.schema.declarations import Children, Column, Entity, Input, Items, Reference
from rapport.schema.entities.common import TIMESTAMPS
from rapport.schema.filters import DateFilter, DateTimeFilter, DecimalFilter, IntFilter, StringFilter, StringListFilter
from rapport.validation import any_date, currency_code, int_range, money, name_text, text, text_list

OPPORTUNITY = Entity(
    name="Opportunity",
    table=table_of(Opportunity),
    description="A potential deal with a customer, moving through a pipeline's stages.",
    custom_entity="OPPORTUNITY",
    root_field="opportunities",
    fields=(
        Column("name", str, "What the deal is about.", filter=StringFilter, sort=True),
        Column("amount", decimal.Decimal, "Expected deal value, in `currency`.", filter=DecimalFilter, sort=True),
        Column("currency", str, "ISO 4217 currency of `amount`.", filter=StringFilter),
        Column("expected_close_date", dt.date | None, "When the deal should close.", filter=DateFilter, sort=True),
        Column(
            "probability", int, "Win probability in percent (from the stage unless set).", filter=IntFilter, sort=True
        ),
        Column("competitors", list[str], "Competitors in the deal.", filter=StringListFilter),
        Column("lost_reason", str | None, "Why the deal was lost."),
        Column(
            "closed_at",
            dt.datetime | None,
            "When the deal reached a WON or LOST stage.",
            filter=DateTimeFilter,
            sort=True,
        ),
        Reference("customer", "Customer", "customer_id", "The customer.", required=True),
        Reference("contact", "Contact", "contact_id", "The main contact at the customer."),
        Reference("pipeline", "Pipeline", "pipeline_id", "The pipeline.", required=True),
        Reference("stage", "PipelineStage", "stage_id", "The current stage.", required=True),
        Reference("owner", "User", "owner_id", "The user responsible for the deal."),
        Items(
            "stage_history",
            "OpportunityStageChange",
            "opportunity_id",
            "Every stage change, oldest first.",
            order=("changed_at", "id"),
        ),
        Children("interactions", "Interaction", "opportunity_id", "Interactions about this deal."),
        *TIMESTAMPS,
    ),
    inputs=(
        Input("customer_id", strawberry.ID, "The customer.", required=True, reference="Customer", nullable=False),
        Input("name", str, "What the deal is about.", required=True, parse=name_text, nullable=False),
        Input("amount", decimal.Decimal | None, "Expected value (≥ 0, 2 decimals).", parse=money, nullable=False),
        Input(
            "currency",
            str | None,
            "ISO 4217 code; default: the tenant's currency.",
            parse=currency_code,
            nullable=False,
        ),
        Input("contact_id", strawberry.ID | None, "The main contact (at the same customer).", reference="Contact"),
        Input(
            "pipeline_id",
            strawberry.ID | None,
            "The pipeline; default: the tenant's default pipeline.",
            reference="Pipeline",
            nullable=False,
        ),
        Input(
            "stage_id",
            strawberry.ID | None,
            "Initial stage (create only; later use opportunityMoveStage). Default: the pipeline's first stage.",
            reference="PipelineStage",
            nullable=False,
        ),
        Input("expected_close_date", dt.date | None, "When the deal should close.", parse=any_date),
        Input(
            "probability",
            int | None,
            "Win probability in percent; default: the stage's.",
            parse=int_range(0, 100),
            nullable=False,
        ),
        Input("owner_id", strawberry.ID | None, "The responsible user.", reference="User"),
        Input("competitors", list[str] | None, "Competitors in the deal.", parse=text_list(20, 100), nullable=False),
        Input("lost_reason", str | None, "Why the deal was lost.", parse=text(500)),
    ),
)
