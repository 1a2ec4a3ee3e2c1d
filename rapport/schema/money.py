"""Money: an exact decimal amount with its ISO 4217 currency (custom MONEY fields)."""

from __future__ import annotations

import decimal

import strawberry


@strawberry.type(description="An amount of money: an exact decimal and its ISO 4217 currency.")
class Money:
    amount: decimal.Decimal = strawberry.field(description="The amount, exact (a decimal string).")
    currency: str = strawberry.field(description="ISO 4217 currency code, e.g. CNY.")


@strawberry.input(description="An amount of money. The currency defaults to the field's currency.")
class MoneyInput:
    amount: decimal.Decimal = strawberry.field(description="The amount, e.g. 12.50 (sent as a string).")
    currency: str | None = strawberry.field(default=None, description="ISO 4217 code, e.g. CNY.")
