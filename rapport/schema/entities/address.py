"""Postal addresses, stored as ``<prefix>_country``, ``<prefix>_city``, ... columns on their owner."""

from __future__ import annotations

from typing import Any

import strawberry

from rapport.customfields.types.base import FieldValueError
from rapport.validation import country_code, text

PARTS = ("country", "region", "city", "street", "postal_code")


@strawberry.type(description="A postal address.")
class Address:
    country: str | None = strawberry.field(description="ISO 3166-1 alpha-2 country code, e.g. CN.")
    region: str | None = strawberry.field(description="State, province or region.")
    city: str | None = strawberry.field(description="City or town.")
    street: str | None = strawberry.field(description="Street address lines.")
    postal_code: str | None = strawberry.field(description="Postal or ZIP code.")


@strawberry.input(description="A postal address. Giving it replaces the whole stored address; null clears it.")
class AddressInput:
    country: str | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 code, e.g. CN.")
    region: str | None = strawberry.field(default=None, description="State, province or region.")
    city: str | None = strawberry.field(default=None, description="City or town.")
    street: str | None = strawberry.field(default=None, description="Street address lines.")
    postal_code: str | None = strawberry.field(default=None, description="Postal or ZIP code.")


_PART_PARSERS = {
    "country": country_code,
    "region": text(100),
    "city": text(100),
    "street": text(300),
    "postal_code": text(20),
}


def address_of(prefix: str) -> Any:
    """A resolver reading the address columns of a record; None when every part is empty."""
    columns = [f"{prefix}_{part}" for part in PARTS]

    def resolve(record: Any) -> Address | None:
        values = {part: getattr(record, column) for part, column in zip(PARTS, columns, strict=True)}
        return Address(**values) if any(v is not None for v in values.values()) else None

    return resolve


def address_parts(prefix: str) -> dict[str, str]:
    """The Address type's GraphQL fields and the columns holding them (for compiled reads)."""
    return {strawberry_name(part): f"{prefix}_{part}" for part in PARTS}


def address_columns(prefix: str) -> Any:
    """An input expander: AddressInput (or None) -> {column: value} for every address column."""

    def expand(value: AddressInput | None) -> dict[str, Any]:
        columns: dict[str, Any] = {}
        for part in PARTS:
            raw = getattr(value, part) if value is not None else None
            try:
                columns[f"{prefix}_{part}"] = None if raw is None else _PART_PARSERS[part](raw)
            except FieldValueError as exc:
                raise FieldValueError(exc.code, exc.message, (strawberry_name(part),)) from exc
        return columns

    return expand


def strawberry_name(part: str) -> str:
    head, *rest = part.split("_")
    return head + "".join(w.title() for w in rest)
