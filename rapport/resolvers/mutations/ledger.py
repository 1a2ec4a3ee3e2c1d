"""ledgerRecord: append one points or stored-balance movement.

Entries are never changed or removed. The running balances live in ``member_accounts``, whose CHECK
constraints make an overdraft fail atomically even when two redemptions race; the balance always equals the
sum of the ledger. A reference identifies an entry: recording the same reference again returns the first
entry and records nothing (also under concurrent retries); the same reference with different content is
refused.
"""
# Payload and row types are built at run time around generated classes; mypy cannot follow them.
# mypy: disable-error-code="valid-type,no-any-return,untyped-decorator"

import decimal
from functools import lru_cache
from typing import Annotated, Any

import strawberry
from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from rapport.context import RequestContext
from rapport.customfields.types.base import FieldValueError
from rapport.errors import UserErrorCode
from rapport.idempotency import KeyArgument, idempotent_write
from rapport.ids import from_global_id, new_id
from rapport.models import MemberAccount, table_of
from rapport.resolvers.mutations.crud import Problems
from rapport.resolvers.records import record_class
from rapport.schema.common import UserError
from rapport.schema.entities.customer import CUSTOMER
from rapport.schema.entities.membership import LEDGER_ENTRY
from rapport.schema.enums import LedgerAccount, LedgerKind
from rapport.schema.roots import RootField
from rapport.validation import money, text

Info = strawberry.Info[RequestContext, None]
ACCOUNTS = table_of(MemberAccount)
# Which account each kind moves, and in which direction (ADJUST: the amount's own sign).
KINDS: dict[str, tuple[str | None, int]] = {
    "EARN": ("POINTS", 1),
    "REDEEM": ("POINTS", -1),
    "EXPIRE": ("POINTS", -1),
    "TOP_UP": ("BALANCE", 1),
    "SPEND": ("BALANCE", -1),
    "ADJUST": (None, 0),
}
CHECK_VIOLATION = "23514"
UNIQUE_VIOLATION = "23505"


@strawberry.input(description="One movement of a customer's points or stored balance.")
class LedgerEntryInput:
    customer_id: strawberry.ID = strawberry.field(description="Whose account.")
    account: LedgerAccount = strawberry.field(description="POINTS or BALANCE.")
    kind: LedgerKind = strawberry.field(
        description="EARN, REDEEM, EXPIRE (points); TOP_UP, SPEND (balance); ADJUST (either)."
    )
    amount: decimal.Decimal = strawberry.field(
        description="How much, at most 2 decimals: positive, except ADJUST which takes a sign."
    )
    reference: str = strawberry.field(
        description="Your unique id for this movement (order number, campaign code, ...): retries record it once."
    )
    note: str | None = strawberry.field(default=None, description="Why, in words.")


def _names(data: Any) -> tuple[str, str]:
    """The input's account and kind as stored ("POINTS", "EARN")."""
    return data.account.value, data.kind.value


def _amount(data: LedgerEntryInput, problems: Problems) -> decimal.Decimal | None:
    account, kind = _names(data)
    required_account, sign = KINDS[kind]
    if required_account is not None and required_account != account:
        problems.add(["input", "kind"], UserErrorCode.INVALID, f"{kind} moves {required_account}, not {account}")
        return None
    raw = data.amount
    magnitude = abs(raw) if sign == 0 and isinstance(raw, decimal.Decimal) else raw
    try:
        amount = money(magnitude)
    except FieldValueError as exc:
        problems.add(["input", "amount"], exc.code, exc.message)
        return None
    if amount == 0:
        problems.add(["input", "amount"], UserErrorCode.TOO_SMALL, "must not be zero")
        return None
    return amount * (sign if sign else (1 if raw > 0 else -1))


async def _existing(ctx: RequestContext, account: str, reference: str) -> Any:
    table = LEDGER_ENTRY.table
    row = (
        await ctx.conn.execute(
            select(*table.columns).where(
                table.c.tenant_id == ctx.tenant_id, table.c.account == account, table.c.reference == reference
            )
        )
    ).first()
    entry_cls: Any = record_class(table, LEDGER_ENTRY.name)
    return None if row is None else entry_cls._make(row)


def _same(entry: Any, customer_id: Any, kind: str, delta: decimal.Decimal) -> bool:
    return bool(entry.customer_id == customer_id and entry.kind == kind and entry.amount == delta)


async def record(ctx: RequestContext, data: LedgerEntryInput) -> tuple[Any, list[UserError]]:
    problems = Problems()
    decoded = from_global_id(str(data.customer_id))
    customer = None
    if decoded is not None and decoded[0] == "Customer":
        customer = await ctx.loaders.by_id(CUSTOMER).load(decoded[1])
    if customer is None:
        problems.add(["input", "customerId"], UserErrorCode.NOT_FOUND, "no such Customer in this tenant")
    delta = _amount(data, problems)
    reference = note = None
    try:
        reference = text(100, required=True)(data.reference)
    except FieldValueError as exc:
        problems.add(["input", "reference"], exc.code, exc.message)
    try:
        note = text(500)(data.note) if data.note is not None else None
    except FieldValueError as exc:
        problems.add(["input", "note"], exc.code, exc.message)
    if problems or customer is None or delta is None or reference is None:
        return None, problems.items
    account, kind = _names(data)
    existing = await _existing(ctx, account, reference)
    if existing is not None:
        return _replay(existing, customer.id, kind, delta, problems)
    column = ACCOUNTS.c.points if account == "POINTS" else ACCOUNTS.c.balance
    earned = delta if account == "POINTS" and delta > 0 and kind in ("EARN", "ADJUST") else decimal.Decimal(0)
    entry_id = new_id()
    try:
        async with ctx.conn.begin_nested():
            await ctx.conn.execute(
                pg_insert(ACCOUNTS).values(tenant_id=ctx.tenant_id, id=customer.id).on_conflict_do_nothing()
            )
            after = (
                await ctx.conn.execute(
                    update(ACCOUNTS)
                    .where(ACCOUNTS.c.tenant_id == ctx.tenant_id, ACCOUNTS.c.id == customer.id)
                    .values({column: column + delta, ACCOUNTS.c.points_earned: ACCOUNTS.c.points_earned + earned})
                    .returning(column)
                )
            ).scalar_one()
            await ctx.conn.execute(
                insert(LEDGER_ENTRY.table).values(
                    tenant_id=ctx.tenant_id,
                    id=entry_id,
                    customer_id=customer.id,
                    account=account,
                    kind=kind,
                    amount=delta,
                    balance_after=after,
                    reference=reference,
                    note=note,
                    created_by_id=ctx.actor.user_id,
                )
            )
    except IntegrityError as exc:
        state = getattr(exc.orig, "sqlstate", None)
        if state == CHECK_VIOLATION:
            problems.add(
                ["input", "amount"], UserErrorCode.INSUFFICIENT_BALANCE, f"the {account.lower()} would go below zero"
            )
            return None, problems.items
        if state == UNIQUE_VIOLATION:  # a concurrent request recorded this reference first
            existing = await _existing(ctx, account, reference)
            if existing is not None:
                return _replay(existing, customer.id, kind, delta, problems)
        raise
    finally:
        ctx.loaders.clear()
    return await ctx.loaders.by_id(LEDGER_ENTRY).load(entry_id), []


def _replay(
    existing: Any, customer_id: Any, kind: str, delta: decimal.Decimal, problems: Problems
) -> tuple[Any, list[UserError]]:
    if _same(existing, customer_id, kind, delta):
        return existing, []
    problems.add(
        ["input", "reference"],
        UserErrorCode.IDEMPOTENCY_KEY_REUSED,
        "this reference was already used for a different entry",
    )
    return None, problems.items


@lru_cache(maxsize=1)
def _payload(entry_cls: Any) -> Any:
    @strawberry.type(name="LedgerRecordPayload", description="Result of ledgerRecord.")
    class LedgerRecordPayload:
        entry: entry_cls | None = strawberry.field(description="The entry (the first one, for a repeated reference).")
        user_errors: list[UserError] = strawberry.field(description="Problems; empty on success.")

    return LedgerRecordPayload


def mutation_fields(objects: dict[str, Any]) -> dict[str, RootField]:
    payload = _payload(objects["LedgerEntry"])

    async def ledger_record(
        info: Info,
        input: Annotated[
            LedgerEntryInput,
            strawberry.argument(description="The movement."),
        ],
        idempotency_key: KeyArgument = None,
    ) -> payload:
        ctx = info.context
        entry, errors = await idempotent_write(
            ctx, idempotency_key, LEDGER_ENTRY, "ledgerRecord", input, lambda: record(ctx, input)
        )
        return payload(entry=entry, user_errors=errors)

    return {
        "ledger_record": RootField(
            ledger_record,
            "Record a points or stored-balance movement. Balances never go negative (INSUFFICIENT_BALANCE); a "
            "repeated reference records nothing and returns the first entry.",
            role="MEMBER",
        )
    }
