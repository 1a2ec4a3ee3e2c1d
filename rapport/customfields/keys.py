"""Rules for custom field keys: camelCase, not reserved, not colliding with anything in the schema."""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable

from strawberry.utils.str_converters import to_camel_case

from rapport.errors import UserErrorCode
from rapport.schema.declarations import Entity

KEY_PATTERN = re.compile(r"^[a-z][a-zA-Z0-9]{0,49}$")
# Names the generated inputs and objects use themselves, or that would read ambiguously in filters.
RESERVED = frozenset(
    {
        "id",
        "custom",
        "customFields",
        "and",
        "or",
        "not",
        "version",
        "createdAt",
        "updatedAt",
        "deletedAt",
        "tenantId",
        "node",
        "edges",
        "cursor",
        "typename",
    }
)
# Suffixes the factory appends to ``<Entity><Key>`` for per-field types.
GENERATED_SUFFIXES = ("", "Filter", "ListFilter")
# Types the factory makes once per entity that has custom fields (``<Entity><suffix>``). They are not in the
# base schema (a tenant without custom fields has none), so they must be reserved here.
ENTITY_CUSTOM_TYPES = ("CustomFields", "CustomFieldsInput", "CustomFieldsFilter", "CustomOrderField")


def core_names(entity: Entity) -> set[str]:
    names = {to_camel_case(f.name) for f in entity.fields}
    names |= {to_camel_case(i.name) for i in entity.inputs}
    names |= {f"{to_camel_case(f.name)}Id" for f in entity.fields}
    return names


def generated_names(entity_name: str, key: str) -> set[str]:
    """Every per-field type name the schema factory may make for ``key`` (whatever the field's type, so a
    later type change can never produce a clash)."""
    generated = f"{entity_name}{key[0].upper()}{key[1:]}"
    return {generated + suffix for suffix in GENERATED_SUFFIXES}


def sort_name(key: str) -> str:
    """The key's member name in ``<Entity>CustomOrderField``."""
    from rapport.schema.naming import screaming

    return screaming(key)


def key_problem(
    key: str, entity: Entity, schema_type_names: set[str], siblings: Iterable[tuple[Entity, str]] = ()
) -> tuple[UserErrorCode, str] | None:
    """Why ``key`` cannot be used on ``entity``, or None.

    ``siblings`` are the tenant's other custom fields (any entity, archived included, since they can be
    restored) as (entity, key): the names the schema factory makes for them must stay distinct from ours.
    An identical key on the same entity is not reported here (the caller reports it as a duplicate).
    """
    if not KEY_PATTERN.match(key):
        return UserErrorCode.INVALID_KEY, "use camelCase: a lowercase letter, then letters or digits (at most 50)"
    if key in RESERVED or keyword.iskeyword(key) or keyword.issoftkeyword(key) or key in core_names(entity):
        return UserErrorCode.RESERVED_KEY, f"{key!r} is a core field or reserved name of {entity.name}"
    taken = schema_type_names | {entity.name + suffix for suffix in ENTITY_CUSTOM_TYPES}
    for name in sorted(generated_names(entity.name, key)):
        if name in taken:
            return UserErrorCode.RESERVED_KEY, f"{key!r} would clash with the API type {name}"
    for other_entity, other_key in siblings:
        if other_entity.name == entity.name and other_key == key:
            continue
        clash = generated_names(entity.name, key) & generated_names(other_entity.name, other_key)
        if clash:
            return UserErrorCode.RESERVED_KEY, (
                f"{key!r} would clash with the API type {min(clash)} of the custom field {other_key!r}"
            )
        if other_entity.name == entity.name and sort_name(other_key) == sort_name(key):
            return UserErrorCode.RESERVED_KEY, (
                f"{key!r} and the custom field {other_key!r} would share the sort key {sort_name(key)}"
            )
    return None
