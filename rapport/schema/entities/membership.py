"""Membership (会员): tiers and the points / stored-balance ledger."""

from __future__ import annotations

import datetime as dt
import decimal

from rapport.models import LedgerEntry, MembershipTier, table_of
from rapport.schema.declarations import Column, Entity, Input, Reference
from rapport.schema.entities.common import TIMESTAMPS
from rapport.schema.enums import LedgerAccount, LedgerAccountFilter, LedgerKind, LedgerKindFilter, TierBasis
from rapport.schema.filters import DateTimeFilter, StringFilter
from rapport.validation import enum_value, int_range, money, name_text, text

MEMBERSHIP_TIER = Entity(
    name="MembershipTier",
    table=table_of(MembershipTier),
    description="A membership level: customers reach it when their lifetime spend or points reach the threshold.",
    root_field="membership_tiers",
    soft_delete=False,
    write_role="ADMIN",
    fields=(
        Column("name", str, "The tier's name.", filter=StringFilter, sort=True),
        Column("rank", int, "Higher ranks are better; a customer holds the highest tier reached.", sort=True),
        Column("basis", TierBasis, "What the threshold measures."),
        Column("threshold", decimal.Decimal, "Lifetime spend (tenant currency) or points needed."),
        Column("benefits", str | None, "What members of this tier get."),
        *TIMESTAMPS,
    ),
    inputs=(
        Input("name", str, "The tier's name.", required=True, parse=name_text, nullable=False),
        Input("rank", int, "Unique rank; higher is better.", required=True, parse=int_range(0, 1000), nullable=False),
        Input("basis", TierBasis, "What the threshold measures.", required=True, parse=enum_value, nullable=False),
        Input("threshold", decimal.Decimal, "Amount needed (≥ 0).", required=True, parse=money, nullable=False),
        Input("benefits", str | None, "What members of this tier get.", parse=text(2000)),
    ),
)

LEDGER_ENTRY = Entity(
    name="LedgerEntry",
    table=table_of(LedgerEntry),
    description="One movement of a customer's points or stored balance. Entries are never changed or removed.",
    soft_delete=False,
    fields=(
        Column("account", LedgerAccount, "Which balance moved.", filter=LedgerAccountFilter),
        Column("kind", LedgerKind, "Why it moved.", filter=LedgerKindFilter),
        Column("amount", decimal.Decimal, "Signed change (negative for REDEEM, SPEND, EXPIRE).", sort=True),
        Column("balance_after", decimal.Decimal, "The account's balance right after this entry."),
        Column(
            "reference", str, "The caller's unique reference (recording it again records nothing).", filter=StringFilter
        ),
        Column("note", str | None, "Why, in words."),
        Column("created_at", dt.datetime, "When it was recorded.", filter=DateTimeFilter, sort=True),
        Reference("customer", "Customer", "customer_id", "Whose account.", required=True),
        Reference("created_by", "User", "created_by_id", "Who recorded it."),
    ),
)
