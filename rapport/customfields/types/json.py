"""JSON: any JSON value, checked against the JSON Schema given in the definition (setting `schema`)."""

from __future__ import annotations

from typing import Any

import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from sqlalchemy import ColumnElement, not_

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.base import ConfigProblem, FieldType, FieldValueError
from rapport.errors import UserErrorCode
from rapport.schema.filters import is_set

MAX_BYTES = 64 * 1024


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
            clauses.append(column.contains({definition.key: filter_obj.contains}))
        if is_set(filter_obj.is_null):
            present = column.has_key(definition.key)
            clauses.append(not_(present) if filter_obj.is_null else present)
        return clauses
