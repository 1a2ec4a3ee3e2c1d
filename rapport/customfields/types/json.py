"""JSON: any JSON value, checked against the JSON Schema given in the definition (setting `schema`)."""

from __future__ import annotations

from typing import Any

import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from sqlalchemy import ColumnElement, not_

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.base import ConfigProblem, FieldType, FieldValueError
from rapport.errors import BadInput, UserErrorCode
from rapport.schema.filters import is_set

MAX_BYTES = 64 * 1024
# PostgreSQL prints a JSONB number in full (1e300 as 1 and 300 zeros), which reads back as a Python int: larger
# integral magnitudes could be stored but not served (JSON responses hold at most 64-bit integers).
MAX_MAGNITUDE = 2**63


def _check_form(value: Any) -> None:
    """Refuse what JSONB cannot store (NUL in text) or the API could not send back (huge numbers)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise FieldValueError(UserErrorCode.INVALID, "JSON text may not contain NUL characters")
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int | float):
        if not -MAX_MAGNITUDE < value < MAX_MAGNITUDE:  # NaN compares false too
            raise FieldValueError(UserErrorCode.INVALID, "JSON numbers must lie between -2^63 and 2^63")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_form(key)
            _check_form(item)
    elif isinstance(value, list):
        for item in value:
            _check_form(item)


class JsonType(FieldType):
    name = "JSON"
    description = "Any JSON value, validated by the JSON Schema in the setting `schema` (if given)."
    scalar = "JSON"
    filter_input = "JSONFilter"
    settings = frozenset({"schema"})
    sortable = False

    def check_config(self, config: dict[str, Any], definition: FieldDefinition) -> None:
        schema = config.get("schema")
        if schema is None:
            return
        if not isinstance(schema, dict | bool):
            raise ConfigProblem("schema", UserErrorCode.INVALID, "a JSON Schema (an object)")
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            raise ConfigProblem("schema", UserErrorCode.INVALID, f"not a valid JSON Schema: {exc.message}") from exc

    def parse(self, value: Any, definition: FieldDefinition) -> Any:
        try:
            size = len(orjson.dumps(value))
        except TypeError as exc:
            raise FieldValueError(UserErrorCode.INVALID, "expected a JSON value") from exc
        if size > MAX_BYTES:
            raise FieldValueError(UserErrorCode.TOO_LONG, f"at most {MAX_BYTES} bytes of JSON")
        _check_form(value)  # orjson refused nesting beyond 255 levels, so this recursion stays shallow
        return value

    def check(self, stored: Any, definition: FieldDefinition) -> None:
        schema = definition.setting("schema")
        if schema is None:
            return
        error = next(iter(Draft202012Validator(schema).iter_errors(stored)), None)
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "the value"
            raise FieldValueError(UserErrorCode.INVALID, f"{where}: {error.message}"[:300])

    def filter_clauses(
        self, column: ColumnElement[Any], definition: FieldDefinition, filter_obj: Any
    ) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if is_set(filter_obj.contains):
            try:
                operand = self.parse(filter_obj.contains, definition)
            except FieldValueError as exc:
                raise BadInput(f"filter on {definition.key}: {exc.message}") from exc
            clauses.append(column.contains({definition.key: operand}))
        if is_set(filter_obj.is_null):
            present = column.has_key(definition.key)
            clauses.append(not_(present) if filter_obj.is_null else present)
        return clauses
