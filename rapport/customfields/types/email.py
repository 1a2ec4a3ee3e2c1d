"""EMAIL: an email address, checked for syntax and stored normalised (domain lower-cased, IDNA)."""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.base import FieldValueError, text_of
from rapport.customfields.types.text import TextType
from rapport.errors import UserErrorCode

MAX_EMAIL_LENGTH = 254


def normalise_email(value: Any) -> str | None:
    """The normalised address; None for blank text (no value, like every other blank text)."""
    text = text_of(value, "an email address").strip()
    if not text:
        return None
    if len(text) > MAX_EMAIL_LENGTH:
        raise FieldValueError(UserErrorCode.INVALID_EMAIL, f"at most {MAX_EMAIL_LENGTH} characters")
    try:
        # No DNS lookups: validation must be deterministic and must not wait on the network.
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise FieldValueError(UserErrorCode.INVALID_EMAIL, f"not a valid email address: {exc}") from exc


class EmailType(TextType):
    name = "EMAIL"
    description = "An email address; stored normalised."
    settings = frozenset()

    def parse(self, value: Any, definition: FieldDefinition) -> Any:
        return normalise_email(value)

    def check(self, stored: Any, definition: FieldDefinition) -> None:
        return None
