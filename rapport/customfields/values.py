"""Checking a mutation's custom values against the entity's definitions, producing the new stored JSON.

Typed input (``custom: {loyaltyTier: GOLD}``) and generic input (``customFields: {"loyaltyTier": "GOLD"}``)
go through the same field types. Omitted fields keep their value; null removes it. Values of archived fields
are never touched. On create, defaults fill omitted fields and required fields without a default are
reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import strawberry

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.base import FieldValueError
from rapport.customfields.types.registry import field_type
from rapport.errors import UserErrorCode

MAX_GENERIC_KEYS = 1000


@dataclass(frozen=True)
class ValueProblem:
    path: list[str]
    code: UserErrorCode
    message: str


def _given(
    typed: Any, generic: Any, definitions: Mapping[str, FieldDefinition]
) -> tuple[dict[str, tuple[str, Any]], list[ValueProblem]]:
    """{key: (input name, value)} for every custom value the input mentions."""
    given: dict[str, tuple[str, Any]] = {}
    problems: list[ValueProblem] = []
    if typed is not None and typed is not strawberry.UNSET:
        # The tenant's typed input arrives as a dict: only keys the client sent are present.
        for key, value in typed.items():
            if key in definitions:
                given[key] = ("custom", value)
    if generic is not None and generic is not strawberry.UNSET:
        if not isinstance(generic, dict):
            return given, [ValueProblem(["customFields"], UserErrorCode.INVALID, "expected a JSON object")]
        if len(generic) > MAX_GENERIC_KEYS:
            return given, [ValueProblem(["customFields"], UserErrorCode.LIMIT_EXCEEDED, "too many keys")]
        for key, value in generic.items():
            if key not in definitions:
                problems.append(
                    ValueProblem(
                        ["customFields", str(key)[:100]],
                        UserErrorCode.UNKNOWN_FIELD,
                        f"no active custom field {str(key)[:100]!r} on this entity",
                    )
                )
            elif key in given:
                problems.append(
                    ValueProblem(["customFields", key], UserErrorCode.INVALID, "given both in custom and customFields")
                )
            else:
                given[key] = ("customFields", value)
    return given, problems


def input_of(key: str, typed: Any, generic: Any) -> str:
    """Which input a custom value was sent in (``custom``, or the generic ``customFields``): where its
    problems are reported."""
    sent_typed = isinstance(typed, dict) and key in typed
    return "customFields" if not sent_typed and isinstance(generic, dict) and key in generic else "custom"


def given_keys(typed: Any, generic: Any, definitions: Mapping[str, FieldDefinition]) -> set[str]:
    """The keys of ``definitions`` whose values the input gives (the rest are left alone, or defaulted)."""
    return set(_given(typed, generic, definitions)[0])


def apply_custom_values(
    definitions: Mapping[str, FieldDefinition],
    current: Mapping[str, Any],
    typed: Any,
    generic: Any,
    *,
    creating: bool,
    role: str | None = None,
    hidden: Mapping[str, FieldDefinition] | None = None,
) -> tuple[dict[str, Any], list[ValueProblem]]:
    """The custom JSON after this change, and every problem found (paths below ``input``).

    ``definitions`` are the fields the caller's ``role`` sees; values for fields it may not edit are refused
    (FORBIDDEN). ``hidden`` are active fields the role cannot see: their defaults still fill new records.
    """
    given, problems = _given(typed, generic, definitions)
    result = dict(current)
    for key, (source, value) in given.items():
        definition = definitions[key]
        path = [source, key]
        if role is not None and not definition.editable_by(role):
            problems.append(ValueProblem(path, UserErrorCode.FORBIDDEN, f"your role may not change {definition.label}"))
            continue
        if value is None:
            if definition.required:
                problems.append(ValueProblem(path, UserErrorCode.REQUIRED, f"{definition.label} is required"))
            result.pop(key, None)
            continue
        try:
            stored = field_type(definition.type).to_storage(value, definition)
        except FieldValueError as exc:
            problems.append(ValueProblem([*path, *exc.path], exc.code, f"{definition.label}: {exc.message}"))
            continue
        if stored is None:
            if definition.required:
                problems.append(ValueProblem(path, UserErrorCode.REQUIRED, f"{definition.label} is required"))
            result.pop(key, None)
        else:
            result[key] = stored
    if creating:
        for key, definition in {**(hidden or {}), **definitions}.items():
            if key in given or key in result:
                continue
            if definition.default is not None:
                result[key] = definition.default
            elif definition.required and (role is None or definition.editable_by(role)):
                problems.append(
                    ValueProblem(["custom", key], UserErrorCode.REQUIRED, f"{definition.label} is required")
                )
    return result, problems
