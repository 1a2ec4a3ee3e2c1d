"""Names the schema gives generated types and enum values."""

from __future__ import annotations

import re

# Per-entity types that carry a tenant's custom fields; the base schema holds placeholders by these names.
CUSTOM_OUTPUT = "CustomFields"
CUSTOM_INPUT = "CustomFieldsInput"
CUSTOM_FILTER = "CustomFieldsFilter"
CUSTOM_ORDER = "CustomOrderField"
CUSTOM_SUFFIXES = (CUSTOM_OUTPUT, CUSTOM_INPUT, CUSTOM_FILTER, CUSTOM_ORDER)


def pascal(key: str) -> str:
    return key[:1].upper() + key[1:]


def screaming(key: str) -> str:
    """lifetimeScore -> LIFETIME_SCORE (enum value names)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).upper()


def lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def custom_type_name(entity_name: str, key: str) -> str:
    """The per-field type name of a select field, e.g. CustomerLoyaltyTier."""
    return f"{entity_name}{pascal(key)}"
