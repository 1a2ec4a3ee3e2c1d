"""Core entity declarations, one module per entity. ``ENTITIES`` lists them in schema order."""

from __future__ import annotations

from rapport.schema.declarations import Entity
from rapport.schema.entities.contact import CONTACT
from rapport.schema.entities.customer import CUSTOMER
from rapport.schema.entities.user import USER

ENTITIES: dict[str, Entity] = {e.name: e for e in (CUSTOMER, CONTACT, USER)}

# Entities tenants may add custom fields to, by their CustomFieldEntity value.
CUSTOMIZABLE: dict[str, Entity] = {e.custom_entity: e for e in ENTITIES.values() if e.custom_entity}
