"""Products."""

from __future__ import annotations

import decimal

from rapport.models import Product, table_of
from rapport.schema.declarations import Column, Entity, Input
from rapport.schema.entities.common import TIMESTAMPS
from rapport.schema.filters import BooleanFilter, DecimalFilter, StringFilter
from rapport.validation import currency_code, money, name_text, text


def sku_text(value: object) -> str | None:
    return text(64, required=True)(value)


PRODUCT = Entity(
    name="Product",
    table=table_of(Product),
    description="Something the business sells.",
    custom_entity="PRODUCT",
    root_field="products",
    fields=(
        Column("sku", str, "Stock keeping unit, unique in the tenant.", filter=StringFilter, sort=True),
        Column("name", str, "Product name.", filter=StringFilter, sort=True),
        Column("category", str | None, "Product category.", filter=StringFilter, sort=True),
        Column("unit_price", decimal.Decimal, "List price per unit, in `currency`.", filter=DecimalFilter, sort=True),
        Column("currency", str, "ISO 4217 currency of the price.", filter=StringFilter),
        Column("active", bool, "Whether it can be ordered.", filter=BooleanFilter),
        *TIMESTAMPS,
    ),
    inputs=(
        Input("sku", str, "Stock keeping unit (unique in the tenant).", required=True, parse=sku_text, nullable=False),
        Input("name", str, "Product name.", required=True, parse=name_text, nullable=False),
        Input("category", str | None, "Product category.", parse=text(100)),
        Input(
            "unit_price",
            decimal.Decimal,
            "List price per unit (≥ 0, 2 decimals).",
            required=True,
            parse=money,
            nullable=False,
        ),
        Input(
            "currency",
            str | None,
            "ISO 4217 code; default: the tenant's currency.",
            parse=currency_code,
            nullable=False,
        ),
        Input("active", bool | None, "Whether it can be ordered.", nullable=False),
    ),
)
