"""Range filters on exact decimals (DECIMAL, PERCENT, MONEY's amount) also state their range on a float8
accessor, which an index can serve under row-level security (decision 29). The float8 range is a superset of
the exact one: answers must be exactly the numeric comparison's, also where float8 cannot tell values apart."""

from __future__ import annotations

import asyncio
import decimal
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.indexes import btree_name, index_names, range_name, wants_btree, wants_range
from tests.conftest import App, Tenant, resolver_path
from tests.customfields.test_accessors import index_condition
from tests.customfields.test_new_types import add_field, api_plan, created, found, indexed_tenant

# Neighbours float8 cannot tell apart (0.1 and 0.1 + 1e-20 are the same double), far apart, and signs.
VALUES = [
    "0.1",
    "0.10000000000000000001",
    "0.09999999999999999999",
    "0",
    "-1.5",
    "-0.1",
    "12345678901234567890.5",
    "12345678901234567890.25",
    "99999999999999999999999999999999999999",
]
OPERANDS = ["0.1", "0.10000000000000000001", "-0.1", "12345678901234567890.25", "0", "-2"]
OPERATORS: dict[str, Callable[[decimal.Decimal, decimal.Decimal], bool]] = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "eq": lambda a, b: a == b,
}


def expected(operator: str, operand: str) -> list[str]:
    compare = OPERATORS[operator]
    return sorted(f"v{i}" for i, v in enumerate(VALUES) if compare(decimal.Decimal(v), decimal.Decimal(operand)))


@pytest.mark.parametrize("compiled", [False, True], ids=["resolvers", "compiled"])
async def test_decimal_ranges_are_exact_where_float8_is_not(rapport: App, tenant: Tenant, compiled: bool) -> None:
    await add_field(tenant, "amount", "DECIMAL", filterable=True)
    for i, value in enumerate(VALUES):
        await created(tenant, f"v{i}", custom={"amount": value})
    await created(tenant, "none")
    with nullcontext() if compiled else resolver_path(rapport):
        for operator in OPERATORS:
            for operand in OPERANDS:
                condition = {operator: operand}
                assert await found(tenant, "amount", condition) == expected(operator, operand), condition
        assert await found(tenant, "amount", {"in": ["0.1", "-1.5", "7"]}) == ["v0", "v4"]
        assert await found(tenant, "amount", {"in": []}) == []
        assert await found(tenant, "amount", {"gt": "-1", "lte": "0.1"}) == ["v0", "v2", "v3", "v5"]


async def test_money_amount_ranges_are_exact(tenant: Tenant) -> None:
    await add_field(tenant, "price", "MONEY", filterable=True, currency="EUR")
    # m4 and m5 are one double.
    amounts = [
        "0.1",
        "0.1001",
        "0.0999",
        "-3",
        "1000000000000000000000000000000000.5",
        "1000000000000000000000000000000000.25",
    ]
    for i, amount in enumerate(amounts):
        await created(tenant, f"m{i}", custom={"price": {"amount": amount}})
    assert await found(tenant, "price", {"amount": {"gt": amounts[5]}}) == ["m4"]
    assert await found(tenant, "price", {"amount": {"lte": amounts[5], "gt": "1"}}) == ["m5"]
    assert await found(tenant, "price", {"amount": {"gt": "0.1"}}) == ["m1", "m4", "m5"]
    assert await found(tenant, "price", {"amount": {"lte": "0.1"}}) == ["m0", "m2", "m3"]
    assert await found(tenant, "price", {"amount": {"eq": "0.1"}}) == ["m0"]
    assert await found(tenant, "price", {"amount": {"gte": "-3", "lt": "0.1"}}) == ["m2", "m3"]
    both = {"amount": {"gt": "0"}, "currency": {"eq": "EUR"}}
    assert await found(tenant, "price", both) == ["m0", "m1", "m2", "m4", "m5"]


async def test_not_of_a_decimal_range_is_its_exact_complement(tenant: Tenant) -> None:
    await add_field(tenant, "amount", "DECIMAL", filterable=True)
    for i, value in enumerate(VALUES):
        await created(tenant, f"v{i}", custom={"amount": value})
    data = await tenant.data(
        "query($f: CustomerFilter) { customers(first: 100, filter: $f) { nodes { name } } }",
        {"f": {"not": {"custom": {"amount": {"gt": "0.1"}}}}},
    )
    names = sorted(n["name"] for n in data["customers"]["nodes"])
    assert names == sorted(f"v{i}" for i, v in enumerate(VALUES) if decimal.Decimal(v) <= decimal.Decimal("0.1"))


@pytest.mark.parametrize("operand", ["abc", "1e1000000", "NaN"])
async def test_bad_decimal_operands_are_bad_input(tenant: Tenant, operand: str) -> None:
    await add_field(tenant, "amount", "DECIMAL", filterable=True)
    answer = await tenant.post(
        "query($f: CustomerFilter) { customers(first: 5, filter: $f) { nodes { name } } }",
        {"f": {"custom": {"amount": {"gt": operand}}}},
    )
    assert answer.status_code == 200
    (error,) = answer.json()["errors"]
    # The Decimal scalar refuses what is no number at all; the filter, a number no stored value can reach.
    assert error["extensions"]["code"] in ("GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"), error
    assert answer.json().get("data") is None


def test_filterable_decimals_get_a_range_index_and_sortable_ones_the_btree() -> None:
    def definition(type_: str, **config: Any) -> FieldDefinition:
        return FieldDefinition(id=uuid.uuid4(), entity="CUSTOMER", key="amount", type=type_, label="A", config=config)

    for type_ in ("DECIMAL", "PERCENT", "MONEY"):
        filtered = definition(type_, filterable=True)
        assert (wants_range(filtered), wants_btree(filtered)) == (True, False)
        assert index_names(filtered) == [range_name(filtered)]
        sorted_ = definition(type_, sortable=True)
        assert index_names(sorted_) == [btree_name(sorted_)]
        both = definition(type_, filterable=True, sortable=True)
        assert index_names(both) == [btree_name(both), range_name(both)]
        assert range_name(both).startswith(f"cf_customers_amount_{type_.lower()}_range_")
    integer = definition("INTEGER", filterable=True)
    assert (wants_range(integer), index_names(integer)) == (False, [btree_name(integer)])


# (type, settings, SQL for the n-th of 6,000 records' value, a filter matching about ten of them)
RANGE_INDEXED: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "MONEY",
        {"currency": "CNY"},
        "jsonb_build_object('amount', (n || '.5'), 'currency', 'CNY')",
        '{amount: {gt: "5990"}}',
    ),
    ("PERCENT", {}, "to_jsonb(trim_scale((n % 1000) / 10.0)::text)", '{gte: "99.9"}'),
    ("DECIMAL", {}, "to_jsonb(n || '.25')", '{lt: "10.3"}'),
]


@pytest.mark.parametrize("case", RANGE_INDEXED, ids=[c[0] for c in RANGE_INDEXED])
async def test_decimal_range_filters_are_index_conditions(
    rapport: App, settings: Any, tenant: Tenant, owner_engine: AsyncEngine, case: tuple[str, dict[str, Any], str, str]
) -> None:
    # A key of its own: the index is shared by every tenant's field of that key and type, and so are the
    # planner's statistics on it, which other tests' values under a common key would skew.
    type_, given, value_sql, operand = case
    key = f"bound{type_.title()}"
    await indexed_tenant(rapport, tenant, owner_engine, type_, given, value_sql, key)
    definition = FieldDefinition(
        id=uuid.uuid4(), entity="CUSTOMER", key=key, type=type_, label="Bound", config={"filterable": True}
    )
    query = f"{{ customers(first: 20, filter: {{custom: {{{key}: {operand}}}}}) {{ nodes {{ name }} }} }}"
    for compiled in (False, True):
        plan = await api_plan(rapport, tenant, owner_engine, settings.app_role, query, compiled=compiled)
        condition = index_condition(plan, range_name(definition))
        assert "_float8(" in condition, plan
        assert (await tenant.data(query))["customers"]["nodes"], plan


async def test_the_accessors_index_holds_what_filters_compare(owner_engine: AsyncEngine) -> None:
    """The range index and the filters spell the same expression (so the planner can match them)."""
    async with owner_engine.connect() as conn:
        value = await conn.execute(
            text("SELECT rapport_custom_float8('{\"k\": \"0.10000000000000000001\"}', 'k') = 0.1::float8")
        )
        assert value.scalar() is True


async def test_a_build_drops_the_range_index_of_an_earlier_expression(
    rapport: App, tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    definition = FieldDefinition(
        id=uuid.uuid4(), entity="CUSTOMER", key="legacyAmount", type="DECIMAL", label="L", config={"filterable": True}
    )
    current = range_name(definition)
    earlier = current[:-6] + "abc123"
    async with owner_engine.connect() as conn:
        await conn.execute(text(f"CREATE INDEX {earlier} ON customers (tenant_id, (custom ->> 'legacyAmount'))"))
        await conn.commit()
    await add_field(tenant, "legacyAmount", "DECIMAL", filterable=True)
    await asyncio.wait_for(rapport.app.state.rapport.index_builder.drain(), 60)
    async with owner_engine.connect() as conn:
        names = await conn.execute(
            text("SELECT relname FROM pg_class WHERE relname IN (:a, :b)"), {"a": earlier, "b": current}
        )
        assert list(names.scalars()) == [current]
