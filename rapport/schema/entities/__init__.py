"""Core entity declarations, one module per entity. ``ENTITIES`` lists them in schema order."""

from __future__ import annotations

from rapport.schema.declarations import Entity
from rapport.schema.entities.campaign import CAMPAIGN, CAMPAIGN_MEMBER
from rapport.schema.entities.contact import CONTACT
from rapport.schema.entities.customer import CUSTOMER
from rapport.schema.entities.feedback import FEEDBACK
from rapport.schema.entities.interaction import INTERACTION
from rapport.schema.entities.lead import LEAD
from rapport.schema.entities.membership import LEDGER_ENTRY, MEMBERSHIP_TIER
from rapport.schema.entities.opportunity import OPPORTUNITY
from rapport.schema.entities.order import ORDER, ORDER_ITEM, SHIPMENT_EVENT
from rapport.schema.entities.pipeline import PIPELINE, PIPELINE_STAGE, STAGE_CHANGE
from rapport.schema.entities.product import PRODUCT
from rapport.schema.entities.service_case import SERVICE_CASE
from rapport.schema.entities.team import TEAM
from rapport.schema.entities.user import USER

ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        CUSTOMER,
        CONTACT,
        LEAD,
        OPPORTUNITY,
        PIPELINE,
        PIPELINE_STAGE,
        STAGE_CHANGE,
        PRODUCT,
        ORDER,
        ORDER_ITEM,
        SHIPMENT_EVENT,
        SERVICE_CASE,
        INTERACTION,
        FEEDBACK,
        CAMPAIGN,
        CAMPAIGN_MEMBER,
        MEMBERSHIP_TIER,
        LEDGER_ENTRY,
        USER,
        TEAM,
    )
}

# Entities tenants may add custom fields to, by their CustomFieldEntity value.
CUSTOMIZABLE: dict[str, Entity] = {e.custom_entity: e for e in ENTITIES.values() if e.custom_entity}
