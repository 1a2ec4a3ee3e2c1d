"""TEXT: a single line of text, with optional length bounds and an RE2 pattern (linear time, no ReDoS)."""

from __future__ import annotations

from typing import Any

import re2

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.base import ConfigProblem, FieldType, FieldValueError, text_of
from rapport.errors import UserErrorCode

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
        # Blank text is no value, so a bound of 0 characters would mean nothing; maxLength must allow some text.
        for setting, value, low in (("minLength", lo, 0), ("maxLength", hi, 1)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or not low <= value <= self.limit
            ):
                raise ConfigProblem(setting, UserErrorCode.INVALID, f"{setting} must be between {low} and {self.limit}")
        if lo is not None and hi is not None and lo > hi:
            raise ConfigProblem("minLength", UserErrorCode.INVALID, "minLength is greater than maxLength")
        pattern = config.get("regex")
        if pattern is not None:
            if not isinstance(pattern, str):
                raise ConfigProblem("regex", UserErrorCode.INVALID, "a pattern is text")
            if len(pattern) > MAX_PATTERN_LENGTH:
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

    def to_storage(self, value: Any, definition: FieldDefinition) -> Any:
        stored = self.parse(value, definition)
        if stored == "":
            return None  # blank text is no value: it clears the field, and `required` refuses it
        self.check(stored, definition)
        return stored

    def check(self, stored: Any, definition: FieldDefinition) -> None:
        lo = definition.setting("minLength") or 0
        hi = definition.setting("maxLength")
        hi = self.limit if hi is None else hi
        if len(stored) < lo:
            raise FieldValueError(UserErrorCode.TOO_SHORT, f"at least {lo} characters")
        if len(stored) > hi:
            raise FieldValueError(UserErrorCode.TOO_LONG, f"at most {hi} characters")
        pattern = definition.setting("regex")
        if pattern is not None and not compile_pattern(pattern).fullmatch(stored):
            raise FieldValueError(UserErrorCode.PATTERN_MISMATCH, f"must match the pattern {pattern}")
