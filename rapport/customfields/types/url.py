"""URL: an absolute http(s) URL (parsed by pydantic's URL type)."""

from __future__ import annotations

from typing import Any

from pydantic import HttpUrl, TypeAdapter, ValidationError

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.base import FieldValueError, text_of
from rapport.customfields.types.text import TextType
from rapport.errors import UserErrorCode

MAX_URL_LENGTH = 2048
_HTTP_URL = TypeAdapter(HttpUrl)


def normalise_url(value: Any) -> str:
    text = text_of(value, "a URL").strip()
    if len(text) > MAX_URL_LENGTH:
        raise FieldValueError(UserErrorCode.INVALID_URL, f"at most {MAX_URL_LENGTH} characters")
    try:
        return str(_HTTP_URL.validate_python(text))
    except ValidationError as exc:
        raise FieldValueError(UserErrorCode.INVALID_URL, "not an absolute http(s) URL") from exc


class UrlType(TextType):
    name = "URL"
    description = "An absolute http(s) URL."
    settings = frozenset()

    def parse(self, value: Any, definition: FieldDefinition) -> Any:
        return normalise_url(value)

    def check(self, stored: Any, definition: FieldDefinition) -> None:
        return None
