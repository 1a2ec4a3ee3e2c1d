"""SELECT: one of a fixed list of options; a per-tenant GraphQL enum. Stores the option's stable id, so
relabelling or reordering options never touches stored values."""

from __future__ import annotations

import enum
import re
import secrets
import unicodedata
from typing import Any

from graphql import GraphQLInputType, GraphQLOutputType
from sqlalchemy import ColumnElement, Integer, Text, func
from sqlalchemy.dialects.postgresql import array

from rapport.customfields.definition import FieldDefinition, Option
from rapport.customfields.types.base import ConfigProblem, FieldType, FieldValueError, TypeScope
from rapport.errors import UserErrorCode

MAX_OPTIONS = 500
MAX_LABEL = 100
_ENUM_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,62}$")


def new_option_id() -> str:
    return "opt_" + secrets.token_hex(5)


def enum_name_from_label(label: str) -> str:
    """GOLD from "Gold", VIP_PLUS from "VIP+", CAFE from "Café"; empty when nothing usable remains."""
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9]+", "_", ascii_text).strip("_").upper()[:60]
    if name and name[0].isdigit():
        name = "N" + name
    return name


def canonical_options(raw: Any, setting: str = "options", current: tuple[Option, ...] = ()) -> list[dict[str, Any]]:
    """Validate an options list; give new options an id and an enum value (from the label when not given).

    An existing option (given by its id) keeps its enum value unless a new one is given: relabelling "Gold"
    to "Golden" must not rename the API's GOLD, which clients' queries use."""
    kept_values = {o.id: o.value for o in current}
    if not isinstance(raw, list) or not raw:
        raise ConfigProblem(setting, UserErrorCode.REQUIRED, "give at least one option")
    if len(raw) > MAX_OPTIONS:
        raise ConfigProblem(setting, UserErrorCode.LIMIT_EXCEEDED, f"at most {MAX_OPTIONS} options")
    options: list[dict[str, Any]] = []
    seen_values: set[str] = set()
    seen_ids: set[str] = set()
    for index, item in enumerate(raw, start=1):
        label = str(item.get("label") or "").strip()
        if not label or len(label) > MAX_LABEL:
            raise ConfigProblem(
                setting, UserErrorCode.INVALID, f"option {index}: a label of 1 to {MAX_LABEL} characters"
            )
        value = (
            item.get("value")
            or kept_values.get(item.get("id") or "")
            or enum_name_from_label(label)
            or f"OPTION_{index}"
        )
        if not _ENUM_NAME.match(value) or value in ("TRUE", "FALSE", "NULL"):
            raise ConfigProblem(
                setting, UserErrorCode.INVALID, f"option {index}: value {value!r} must be an UPPER_SNAKE enum name"
            )
        if value in seen_values:
            raise ConfigProblem(setting, UserErrorCode.DUPLICATE, f"option value {value} appears twice")
        option_id = item.get("id") or new_option_id()
        if item.get("id") and option_id not in kept_values:
            # Ids are ours: a chosen one ("SILVER") could equal another option's enum value, and then the
            # typed and the generic input would store different options for the same word.
            raise ConfigProblem(
                setting,
                UserErrorCode.INVALID,
                f"option {index}: no option has the id {str(option_id)[:40]!r}; "
                "give an id only to keep an existing option",
            )
        if option_id in seen_ids:
            raise ConfigProblem(setting, UserErrorCode.DUPLICATE, f"option id {option_id} appears twice")
        seen_values.add(value)
        seen_ids.add(option_id)
        option = {"id": option_id, "value": value, "label": label}
        if item.get("color"):
            option["color"] = str(item["color"])[:32]
        options.append(option)
    return options


def option_id_of(value: Any, definition: FieldDefinition) -> str:
    """The stored id for an enum member, an enum value name (GOLD) or an option id."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, str):
        for option in definition.options:
            if value in (option.id, option.value):
                return option.id
    names = ", ".join(o.value for o in definition.options)
    raise FieldValueError(UserErrorCode.UNKNOWN_OPTION, f"{value!r} is not an option; one of {names}")


class SelectType(FieldType):
    name = "SELECT"
    description = "One of a list of options (a GraphQL enum per field)."
    settings = frozenset({"options"})

    def check_config(self, config: dict[str, Any], definition: FieldDefinition) -> None:
        config["options"] = canonical_options(config.get("options"), current=definition.options)

    def parse(self, value: Any, definition: FieldDefinition) -> Any:
        return option_id_of(value, definition)

    def output_type(self, definition: FieldDefinition, scope: TypeScope) -> GraphQLOutputType:
        return scope.option_enum(definition)

    def input_type(self, definition: FieldDefinition, scope: TypeScope) -> GraphQLInputType:
        return scope.option_enum(definition)

    def filter_type(self, definition: FieldDefinition, scope: TypeScope) -> GraphQLInputType:
        return scope.option_filter(definition, multi=False)

    def filter_value(self, value: Any) -> Any:
        return value.value if isinstance(value, enum.Enum) else value

    def sort_expr(self, column: ColumnElement[Any], definition: FieldDefinition) -> ColumnElement[Any]:
        # Options sort in the order the admin gave them, not by id or label.
        ids = array([o.id for o in definition.options], type_=Text)
        return func.array_position(ids, self.value_expr(column, definition), type_=Integer)
