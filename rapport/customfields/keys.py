"""Rules for custom field keys: camelCase, not reserved, not colliding with anything in the schema."""

from __future__ import annotations

import keyword
import re

from strawberry.utils.str_converters import to_camel_case

from rapport.errors import UserErrorCode
from rapport.schema.declarations import Entity

KEY_PATTERN = re.compile(r"^[a-z][a-zA-Z0-9]{0,49}$")
# Names the generated inputs and objects use themselves, or that would read ambiguously in filters.
RESERVED = frozenset({"id", "custom", "customFields", "and", "or", "not", "version", "createdAt", "updatedAt",
                      "deletedAt", "tenantId", "node", "edges", "cursor", "typename"})
# Suffixes the factory appends to ``<Entity><Key>`` for per-field types.
GENERATED_SUFFIXES = ("", "Filter", "ListFilter")


def core_names(entity: Entity) -> set[str]:
    names = {to_camel_case(f.name) for f in entity.fields}
    names |= {to_camel_case(i.name) for i in entity.inputs}
    names |= {f"{to_camel_case(f.name)}Id" for f in entity.fields}
    return names


def key_problem(key: str, entity: Entity, schema_type_names: set[str]) -> tuple[UserErrorCode, str] | None:
    """Why ``key`` cannot be used on ``entity``, or None."""
    if not KEY_PATTERN.match(key):
        return UserErrorCode.INVALID_KEY, "use camelCase: a lowercase letter, then letters or digits (at most 50)"
    if key in RESERVED or keyword.iskeyword(key) or keyword.issoftkeyword(key) or key in core_names(entity):
        return UserErrorCode.RESERVED_KEY, f"{key!r} is a core field or reserved name of {entity.name}"
    generated = f"{entity.name}{key[0].upper()}{key[1:]}"
    for suffix in GENERATED_SUFFIXES:
        if generated + suffix in schema_type_names:
            return UserErrorCode.RESERVED_KEY, f"{key!r} would clash with the API type {generated + suffix}"
    return None
