"""Customers: the people and companies a tenant does business with."""

from __future__ import annotations

import datetime as dt

import strawberry

from rapport.models import Customer, table_of
from rapport.schema.declarations import Children, Column, Computed, Entity, Input, Reference
from rapport.schema.entities.address import Address as AddressType
from rapport.schema.entities.address import AddressInput, address_columns, address_of
from rapport.schema.entities.common import TIMESTAMPS
from rapport.schema.enums import (
    CustomerKind,
    CustomerKindFilter,
    Gender,
    GenderFilter,
    LifecycleStage,
    LifecycleStageFilter,
)
from rapport.schema.filters import DateFilter, StringFilter, StringListFilter
from rapport.validation import (
    enum_value,
    name_text,
    normalise_email,
    normalise_phone,
    past_date,
    tag_list,
    text,
)

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
        Column(
            "phone",
            str | None,
            "Primary phone number in E.164 form, e.g. +8613800138000.",
            filter=StringFilter,
        ),
        Computed("address", AddressType | None, "Postal address.", address_of("address")),
        Column(
            "source_channel",
            str | None,
            "Where the customer came from (e.g. website, referral).",
            filter=StringFilter,
        ),
        Column(
            "lifecycle_stage",
            LifecycleStage | None,
            "Stage of the relationship.",
            filter=LifecycleStageFilter,
        ),
        Column("tags", list[str], "Free-form labels.", filter=StringListFilter),
        Reference("owner", "User", "owner_id", "The user responsible for this customer."),
        Children("contacts", "Contact", "customer_id", "People at this company."),
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
            "phone",
            str | None,
            "Phone number in international form, e.g. +86 138 0013 8000.",
            parse=normalise_phone,
        ),
        Input(
            "address",
            AddressInput | None,
            "Postal address (replaces the stored one).",
            expand=address_columns("address"),
        ),
        Input("source_channel", str | None, "Where the customer came from.", parse=text(50)),
        Input("lifecycle_stage", LifecycleStage | None, "Stage of the relationship.", parse=enum_value),
        Input(
            "tags",
            list[str] | None,
            "Free-form labels (trimmed, duplicates dropped, at most 50).",
            parse=tag_list,
            nullable=False,
        ),
        Input(
            "owner_id",
            strawberry.ID | None,
            "The responsible user's ID.",
            column="owner_id",
            reference="User",
        ),
    ),
)
