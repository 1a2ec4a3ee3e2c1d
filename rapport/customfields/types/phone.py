"""PHONE: a phone number, validated with libphonenumber and stored in E.164 form (+8613800138000)."""

from __future__ import annotations

from typing import Any

import phonenumbers

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.base import ConfigProblem, FieldValueError, text_of
from rapport.customfields.types.text import TextType
from rapport.errors import UserErrorCode


def normalise_phone(value: Any, region: str | None = None) -> str:
    text = text_of(value, "a phone number").strip()
    if len(text) > 64:
        raise FieldValueError(UserErrorCode.INVALID_PHONE, "at most 64 characters")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        hint = "" if region else " in international form, e.g. +86 138 0013 8000"
        raise FieldValueError(UserErrorCode.INVALID_PHONE, f"not a phone number{hint}") from exc
    if not phonenumbers.is_valid_number(number):
        raise FieldValueError(UserErrorCode.INVALID_PHONE, "not a valid phone number")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


class PhoneType(TextType):
    name = "PHONE"
    description = "A phone number; stored in E.164 form. Numbers without +country need the field's defaultRegion."
    settings = frozenset({"defaultRegion"})

    def check_config(self, config: dict[str, Any], definition: FieldDefinition) -> None:
        region = config.get("defaultRegion")
        if region is not None:
            if not isinstance(region, str) or region.upper() not in phonenumbers.SUPPORTED_REGIONS:
                raise ConfigProblem("defaultRegion", UserErrorCode.INVALID, "an ISO 3166 region code, e.g. CN")
            config["defaultRegion"] = region.upper()

    def parse(self, value: Any, definition: FieldDefinition) -> Any:
        return normalise_phone(value, definition.setting("defaultRegion"))

    def check(self, stored: Any, definition: FieldDefinition) -> None:
        return None
