"""Customers: the people and companies a tenant does business with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import strawberry

from rapport.models import Customer, table_of
from rapport.schema.declarations import Children, Column, Computed, Entity, Input, Reference, Resolved
from rapport.schema.entities.address import Address, AddressInput, address_columns, address_of, address_parts
from rapport.schema.entities.common import TIMESTAMPS
from rapport.schema.enums import CustomerKind, CustomerKindFilter, Gender, GenderFilter
from rapport.schema.filters import DateFilter, StringFilter, StringListFilter
from rapport.validation import (
    enum_value,
    name_text,
    normalise_email,
    normalise_phone,
    past_date,
    tag_list,
    text,
    text_list,
)


def _figures(name: str) -> Callable[[Mapping[str, Any]], Callable[..., Any]]:
    """The resolver maker ``name`` of ``resolvers.customer_figures`` (imported when the schema is built)."""

    def make(objects: Mapping[str, Any]) -> Callable[..., Any]:
        from rapport.resolvers import customer_figures

        maker: Callable[[Mapping[str, Any]], Callable[..., Any]] = getattr(customer_figures, name)
        return maker(objects)

    return make


CUSTOMER = Entity(
    name="Customer",
    table=table_of(Customer),
    description="A person or company the business sells to.",
    custom_entity="CUSTOMER",
    root_field="customers",
    fields=(
        Column("kind", CustomerKind, "Person or company.", filter=CustomerKindFilter, sort=True),
        Column("name", str, "Full name of the person, or the company's name.", filter=StringFilter, sort=True),
        Column("gender", Gender | None, "The person's gender, if known.", filter=GenderFilter),
        Column("birthday", dt.date | None, "The person's date of birth.", filter=DateFilter, sort=True),
        Column("occupation", str | None, "What the person does for a living.", filter=StringFilter),
        Column("email", str | None, "Primary email address (normalised).", filter=StringFilter, sort=True),
        Column("phone", str | None, "Primary phone in E.164 form, e.g. +8613800138000.", filter=StringFilter),
        Computed("address", Address | None, "Postal address.", address_of("address"), address_parts("address")),
        Column(
            "source_channel", str | None, "Where the customer came from (website, referral, ...).", filter=StringFilter
        ),
        Column("tags", list[str], "Free-form labels.", filter=StringListFilter),
        Column(
            "preferred_channel",
            str | None,
            "How the customer prefers to be reached (phone, email, ...).",
            filter=StringFilter,
        ),
        Column("interests", list[str], "What the customer is interested in.", filter=StringListFilter),
        Column("payment_method_preference", str | None, "How the customer prefers to pay.", filter=StringFilter),
        Reference("owner", "User", "owner_id", "The user responsible for this customer."),
        Children("contacts", "Contact", "customer_id", "People at this company."),
        Children("orders", "Order", "customer_id", "The customer's orders."),
        Children("interactions", "Interaction", "customer_id", "Calls, emails, meetings and messages."),
        Children("opportunities", "Opportunity", "customer_id", "Deals with this customer."),
        Children("feedback", "Feedback", "customer_id", "Surveys, reviews, complaints and suggestions."),
        Children("cases", "ServiceCase", "customer_id", "After-sales service cases."),
        Children("ledger_entries", "LedgerEntry", "customer_id", "Points and stored-balance movements."),
        Children("campaign_memberships", "CampaignMember", "customer_id", "Campaigns that targeted the customer."),
        Resolved(
            "lifecycle_stage",
            "Derived from the customer's orders and the tenant's day thresholds.",
            _figures("lifecycle_field"),
        ),
        Resolved(
            "figures",
            "Lifetime value, order count and other figures, computed from the facts.",
            _figures("figures_field"),
        ),
        Resolved("points", "Points and stored balance.", _figures("points_field")),
        Resolved("rfm", "RFM scores within the tenant (null without revenue orders).", _figures("rfm_field")),
        *TIMESTAMPS,
    ),
    inputs=(
        Input("kind", CustomerKind, "Person or company.", required=True, parse=enum_value, nullable=False),
        Input(
            "name",
            str,
            "Full name of the person, or the company's name.",
            required=True,
            parse=name_text,
            nullable=False,
        ),
        Input("gender", Gender | None, "The person's gender.", parse=enum_value),
        Input("birthday", dt.date | None, "Date of birth (not in the future).", parse=past_date),
        Input("occupation", str | None, "What the person does for a living.", parse=text(200)),
        Input("email", str | None, "Email address; validated and stored normalised.", parse=normalise_email),
        Input(
            "phone", str | None, "Phone number in international form, e.g. +86 138 0013 8000.", parse=normalise_phone
        ),
        Input(
            "address",
            AddressInput | None,
            "Postal address (replaces the stored one).",
            expand=address_columns("address"),
        ),
        Input("source_channel", str | None, "Where the customer came from.", parse=text(50)),
        Input(
            "tags",
            list[str] | None,
            "Free-form labels (trimmed, duplicates dropped, at most 50).",
            parse=tag_list,
            nullable=False,
        ),
        Input("preferred_channel", str | None, "How the customer prefers to be reached.", parse=text(50)),
        Input(
            "interests",
            list[str] | None,
            "What the customer is interested in.",
            parse=text_list(50, 100),
            nullable=False,
        ),
        Input("payment_method_preference", str | None, "How the customer prefers to pay.", parse=text(50)),
        Input("owner_id", strawberry.ID | None, "The responsible user's ID.", reference="User"),
    ),
)
