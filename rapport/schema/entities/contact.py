"""Contacts: the people at a company customer."""

from __future__ import annotations

import strawberry

from rapport.models import Contact, table_of
from rapport.schema.declarations import Children, Column, Entity, Input, Reference
from rapport.schema.entities.common import TIMESTAMPS
from rapport.schema.enums import DecisionRole, DecisionRoleFilter
from rapport.schema.filters import StringFilter
from rapport.validation import enum_value, name_text, normalise_email, normalise_phone, text

CONTACT = Entity(
    name="Contact",
    table=table_of(Contact),
    description="A person at a company customer.",
    custom_entity="CONTACT",
    root_field="contacts",
    fields=(
        Column("name", str, "The contact's full name.", filter=StringFilter, sort=True),
        Column("title", str | None, "Job title.", filter=StringFilter),
        Column(
            "decision_role",
            DecisionRole | None,
            "Part played in buying decisions.",
            filter=DecisionRoleFilter,
        ),
        Column("email", str | None, "Email address (normalised).", filter=StringFilter, sort=True),
        Column("phone", str | None, "Phone number in E.164 form.", filter=StringFilter),
        Reference("customer", "Customer", "customer_id", "The company this contact works for.", required=True),
        Children("interactions", "Interaction", "contact_id", "Interactions with this contact."),
        Children("opportunities", "Opportunity", "contact_id", "Deals this contact is the main contact for."),
        *TIMESTAMPS,
    ),
    inputs=(
        Input(
            "customer_id",
            strawberry.ID,
            "The company customer's ID.",
            required=True,
            reference="Customer",
            nullable=False,
        ),
        Input("name", str, "The contact's full name.", required=True, parse=name_text, nullable=False),
        Input("title", str | None, "Job title.", parse=text(200)),
        Input("decision_role", DecisionRole | None, "Part played in buying decisions.", parse=enum_value),
        Input("email", str | None, "Email address; validated and stored normalised.", parse=normalise_email),
        Input("phone", str | None, "Phone number in international form.", parse=normalise_phone),
    ),
)
