"""Parsers for core input fields. Each returns the stored value or raises FieldValueError (code + message);
custom field types reuse the same functions, so a customer's email and an EMAIL custom field agree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pycountry

from rapport.customfields.types.base import FieldValueError
from rapport.customfields.types.email import normalise_email
from rapport.customfields.types.phone import normalise_phone
from rapport.customfields.types.url import normalise_url
from rapport.errors import UserErrorCode

__all__ = ["country_code", "enum_value", "name_text", "normalise_email", "normalise_phone", "normalise_url"]


def text(max_length: int, *, required: bool = False) -> Callable[[Any], str | None]:
    """Trimmed text of at most ``max_length`` characters; empty text is no value (REQUIRED when required)."""

    def parse(value: Any) -> str | None:
        if not isinstance(value, str):
            raise FieldValueError(UserErrorCode.INVALID, "expected text")
        cleaned = value.strip()
        if "\x00" in cleaned:
            raise FieldValueError(UserErrorCode.INVALID, "text may not contain NUL characters")
        if not cleaned:
            if required:
                raise FieldValueError(UserErrorCode.REQUIRED, "may not be empty")
            return None
        if len(cleaned) > max_length:
            raise FieldValueError(UserErrorCode.TOO_LONG, f"at most {max_length} characters")
        return cleaned

    return parse


name_text = text(200, required=True)


def enum_value(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def country_code(value: Any) -> str:
    if not isinstance(value, str) or pycountry.countries.get(alpha_2=value.strip().upper()) is None:
        raise FieldValueError(UserErrorCode.INVALID, "an ISO 3166-1 alpha-2 country code, e.g. CN or DE")
    return value.strip().upper()


def past_date(value: Any) -> dt.date:
    if not isinstance(value, dt.date):
        raise FieldValueError(UserErrorCode.INVALID, "expected a date")
    if value > dt.datetime.now(dt.UTC).date():
        raise FieldValueError(UserErrorCode.TOO_LARGE, "may not be in the future")
    if value.year < 1900:
        raise FieldValueError(UserErrorCode.TOO_SMALL, "must be in 1900 or later")
    return value


MAX_TAGS = 50


def tag_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise FieldValueError(UserErrorCode.INVALID, "expected a list of tags")
    parse = text(50)
    tags: list[str] = []
    for item in value:
        tag = parse(item)
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise FieldValueError(UserErrorCode.TOO_LONG, f"at most {MAX_TAGS} tags")
    return tags
