"""Marketing campaigns (营销活动) and their members."""

from __future__ import annotations

import datetime as dt
import decimal

import strawberry

from rapport.models import Campaign, CampaignMember, table_of
from rapport.schema.declarations import Children, Column, Entity, Input, Reference
from rapport.schema.entities.common import TIMESTAMPS
from rapport.schema.enums import CampaignMemberStatus, CampaignMemberStatusFilter, CampaignStatus, CampaignStatusFilter
from rapport.schema.filters import DateFilter, DecimalFilter, StringFilter
from rapport.validation import any_date, currency_code, enum_value, instant, money, name_text, text

CAMPAIGN = Entity(
    name="Campaign",
    table=table_of(Campaign),
    description="A marketing campaign and the customers and leads it targets.",
    custom_entity="CAMPAIGN",
    root_field="campaigns",
    fields=(
        Column("name", str, "The campaign's name.", filter=StringFilter, sort=True),
        Column("channel", str | None, "Main channel (email, social, event, ...).", filter=StringFilter),
        Column("budget", decimal.Decimal | None, "Budget, in `currency`.", filter=DecimalFilter, sort=True),
        Column("currency", str, "ISO 4217 currency of the budget and revenue."),
        Column("starts_on", dt.date | None, "First day.", filter=DateFilter, sort=True),
        Column("ends_on", dt.date | None, "Last day.", filter=DateFilter, sort=True),
        Column("status", CampaignStatus, "Where the campaign stands.", filter=CampaignStatusFilter, sort=True),
        Children("members", "CampaignMember", "campaign_id", "Targeted customers and leads."),
        *TIMESTAMPS,
    ),
    inputs=(
        Input("name", str, "The campaign's name.", required=True, parse=name_text, nullable=False),
        Input("channel", str | None, "Main channel.", parse=text(50)),
        Input("budget", decimal.Decimal | None, "Budget (≥ 0).", parse=money),
        Input(
            "currency",
            str | None,
            "ISO 4217 code; default: the tenant's currency.",
            parse=currency_code,
            nullable=False,
        ),
        Input("starts_on", dt.date | None, "First day.", parse=any_date),
        Input("ends_on", dt.date | None, "Last day (not before the first).", parse=any_date),
        Input("status", CampaignStatus | None, "Where the campaign stands.", parse=enum_value, nullable=False),
    ),
)

CAMPAIGN_MEMBER = Entity(
    name="CampaignMember",
    table=table_of(CampaignMember),
    description="A customer or lead targeted by a campaign, with how far they got and the revenue attributed.",
    soft_delete=False,
    fields=(
        Column("status", CampaignMemberStatus, "How far the member got.", filter=CampaignMemberStatusFilter, sort=True),
        Column("responded_at", dt.datetime | None, "When they responded."),
        Column(
            "attributed_revenue",
            decimal.Decimal,
            "Revenue attributed to the campaign, in its currency.",
            filter=DecimalFilter,
            sort=True,
        ),
        Reference("campaign", "Campaign", "campaign_id", "The campaign.", required=True),
        Reference("customer", "Customer", "customer_id", "The customer (or null for a lead)."),
        Reference("lead", "Lead", "lead_id", "The lead (or null for a customer)."),
        *TIMESTAMPS,
    ),
    inputs=(
        Input("campaign_id", strawberry.ID, "The campaign.", required=True, reference="Campaign", nullable=False),
        Input("customer_id", strawberry.ID | None, "The customer (give a customer or a lead).", reference="Customer"),
        Input("lead_id", strawberry.ID | None, "The lead.", reference="Lead"),
        Input("status", CampaignMemberStatus | None, "How far the member got.", parse=enum_value, nullable=False),
        Input("responded_at", dt.datetime | None, "When they responded.", parse=instant),
        Input("attributed_revenue", decimal.Decimal | None, "Revenue attributed (≥ 0).", parse=money, nullable=False),
    ),
)
