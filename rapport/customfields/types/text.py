"""TEXT: a single line of text, with optional length bounds and an RE2 pattern (linear time, no ReDoS)."""

from __future__ import annotations

from typing import Any

import re2

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.base import ConfigProblem, FieldType, FieldValueError, TypeScope, text_of
from rapport.errors import UserErrorCode
from rapport.schema.filters import StringFilter

MAX_PATTERN_LENGTH = 500
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


def compile_pattern(pattern: str) -> Any:
    return re2.compile(pattern, _RE2_OPTIONS)


class TextType(FieldType):
    name = "TEXT"
    description = "A single line of text (at most 1,000 characters unless maxLength says less)."
    settings = frozenset({"minLength", "maxLength", "regex"})
    limit = 1000

    def check_config(self, config: dict[str, Any], definition: FieldDefinition) -> None:
        lo, hi = config.get("minLength"), config.get("maxLength")
        for setting, value in (("minLength", lo), ("maxLength", hi)):
            if value is not None and (not isinstance(value, int) or not 0 <= value <= self.limit):
                raise ConfigProblem(setting, UserErrorCode.INVALID, f"{setting} must be between 0 and {self.limit}")
        if lo is not None and hi is not None and lo > hi:
            raise ConfigProblem("minLength", UserErrorCode.INVALID, "minLength is greater than maxLength")
        pattern = config.get("regex")
        if pattern is not None:
            if not isinstance(pattern, str) or len(pattern) > MAX_PATTERN_LENGTH:
                raise ConfigProblem("regex", UserErrorCode.TOO_LONG, f"at most {MAX_PATTERN_LENGTH} characters")
            try:
                compile_pattern(pattern)
            except re2.error as exc:
                raise ConfigProblem("regex", UserErrorCode.INVALID, f"not a valid RE2 pattern: {exc}") from exc

    def parse(self, value: Any, definition: FieldDefinition) -> Any:
        text = self.normalise(text_of(value, "text"))
        if "\x00" in text:
            raise FieldValueError(UserErrorCode.INVALID, "text may not contain NUL characters")
        return text

    def normalise(self, text: str) -> str:
        # A single line: surrounding whitespace is never meaningful.
        return text.strip()

    def check(self, stored: Any, definition: FieldDefinition) -> None:
        lo = definition.setting("minLength") or 0
        hi = definition.setting("maxLength") or self.limit
        if len(stored) < lo:
            raise FieldValueError(UserErrorCode.TOO_SHORT, f"at least {lo} characters")
        if len(stored) > hi:
            raise FieldValueError(UserErrorCode.TOO_LONG, f"at most {hi} characters")
        pattern = definition.setting("regex")
        if pattern is not None and not compile_pattern(pattern).fullmatch(stored):
            raise FieldValueError(UserErrorCode.PATTERN_MISMATCH, f"must match the pattern {pattern}")

    def output_type(self, definition: FieldDefinition, scope: TypeScope) -> Any:
        return str | None

    def filter_type(self, definition: FieldDefinition, scope: TypeScope) -> Any:
        return StringFilter
