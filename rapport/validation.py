"""Parsers for core input fields. Each returns the stored value or raises FieldValueError (code + message);
custom field types reuse the same functions, so a customer's email and an EMAIL custom field agree."""

from __future__ import annotations

import datetime as dt
import decimal
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
    return text_list(MAX_TAGS, 50)(value)


# ISO 4217 gives X-codes to what is not one country's money (XXX "no currency", XTS for tests, gold, silver,
# platinum, palladium, XDR and other units of account); these five are currencies several countries share.
# Fund codes outside the X-range (CLF, MXV, UYI, ...) stay: contracts in Chile or Mexico are priced in them.
_SHARED_CURRENCIES = frozenset({"XAF", "XCD", "XCG", "XOF", "XPF"})


def currency_code(value: Any) -> str:
    """An ISO 4217 code (any case), upper-cased.

    Accepted: the codes pycountry lists, except the X-codes that are not currencies (all but XAF XCD XCG XOF XPF).
    """
    code = value.strip().upper() if isinstance(value, str) else None
    if code is None or pycountry.currencies.get(alpha_3=code) is None:
        raise FieldValueError(UserErrorCode.INVALID, "an ISO 4217 currency code, e.g. CNY, EUR or USD")
    if code.startswith("X") and code not in _SHARED_CURRENCIES:
        raise FieldValueError(UserErrorCode.INVALID, f"{code} is not a currency; give one such as CNY, EUR or USD")
    return code


MAX_AMOUNT = decimal.Decimal("9999999999999999.99")


def money(value: Any) -> decimal.Decimal:
    """A non-negative amount with at most 2 decimal places (never a float)."""
    if isinstance(value, bool) or not isinstance(value, decimal.Decimal | int | str):
        raise FieldValueError(UserErrorCode.INVALID, "expected an amount such as 12.50")
    try:
        amount = decimal.Decimal(str(value).strip())
    except decimal.InvalidOperation as exc:
        raise FieldValueError(UserErrorCode.INVALID, "expected an amount such as 12.50") from exc
    if not amount.is_finite():
        raise FieldValueError(UserErrorCode.INVALID, "expected a finite amount")
    if amount < 0:
        raise FieldValueError(UserErrorCode.TOO_SMALL, "may not be negative")
    if amount > MAX_AMOUNT:
        raise FieldValueError(UserErrorCode.TOO_LARGE, f"at most {MAX_AMOUNT}")
    if amount != amount.quantize(decimal.Decimal("0.01")):
        raise FieldValueError(UserErrorCode.INVALID, "at most 2 decimal places")
    return amount.quantize(decimal.Decimal("0.01"))


def int_range(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldValueError(UserErrorCode.INVALID, "expected a whole number")
        if value < low:
            raise FieldValueError(UserErrorCode.TOO_SMALL, f"must be at least {low}")
        if value > high:
            raise FieldValueError(UserErrorCode.TOO_LARGE, f"must be at most {high}")
        return value

    return parse


def instant(value: Any) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise FieldValueError(UserErrorCode.INVALID, "expected a date-time with a time zone")
    return value


def any_date(value: Any) -> dt.date:
    if not isinstance(value, dt.date):
        raise FieldValueError(UserErrorCode.INVALID, "expected a date")
    return value


def text_list(max_items: int, max_length: int) -> Callable[[Any], list[str]]:
    """Trimmed, de-duplicated short texts (tags, competitors, interests)."""
    item = text(max_length)

    def parse(value: Any) -> list[str]:
        if not isinstance(value, list):
            raise FieldValueError(UserErrorCode.INVALID, "expected a list")
        items: list[str] = []
        for raw in value:
            cleaned = item(raw)
            if cleaned and cleaned not in items:
                items.append(cleaned)
        if len(items) > max_items:
            raise FieldValueError(UserErrorCode.TOO_LONG, f"at most {max_items} items")
        return items

    return parse
