"""Filter values written into compiled statements (decision 34): on the read pool such a statement takes a
generic plan made with its values; a value that cannot be written safely stays a parameter, and the request keeps
custom plans. Either way the answers are the resolvers' answers."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import BigInteger, Boolean, Date, DateTime, Integer, Numeric, String, Uuid, bindparam, event
from sqlalchemy.dialects.postgresql import JSONB

from rapport.compiled.values_in_text import _literal_reads_the_same
from tests.conftest import App, Tenant, resolver_path

QUERY = """query($f: CustomerFilter) {
  customers(first: 10, filter: $f, orderBy: [{field: NAME}]) { totalCount nodes { name custom { score } } }
}"""
NAMES = ["O'Brien", "a\\b", "50% off", "Plain", "x' OR true OR name = 'y"]


@contextmanager
def sent(rapport: App) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Statements and their parameters, as the engine's listeners see them (read pool included)."""
    captured: list[tuple[str, dict[str, Any]]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        captured.append((statement, dict(parameters or {})))

    event.listen(rapport.engine.sync_engine, "before_cursor_execute", capture)
    try:
        yield captured
    finally:
        event.remove(rapport.engine.sync_engine, "before_cursor_execute", capture)


@pytest.fixture
async def scored(tenant: Tenant) -> Tenant:
    await tenant.add_field("CUSTOMER", "score", "INTEGER")
    for n, name in enumerate(NAMES):
        await tenant.mutate(
            "mutation($n: String!, $s: Int) { customerCreate(input: {kind: PERSON, name: $n, custom: {score: $s}}) "
            "{ customer { id } userErrors { code } } }",
            {"n": name, "s": n * 10},
        )
    return tenant


async def twice(rapport: App, tenant: Tenant, f: dict[str, Any]) -> tuple[dict[str, Any], list[Any], list[Any]]:
    """The answer, and what the request engine then the read pool sent for it (the read pool answers the
    second time: the first answer taught it the document)."""
    with sent(rapport) as engine:
        first = await tenant.data(QUERY, {"f": f})
    with sent(rapport) as pool:
        second = await tenant.data(QUERY, {"f": f})
    assert second == first
    return first, engine, pool


def plans(statements: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    return [p["plans"] for s, p in statements if "rapport_authenticate" in s]


def read(statements: list[tuple[str, dict[str, Any]]]) -> tuple[str, dict[str, Any]]:
    (statement,) = [(s, p) for s, p in statements if "json_build_object" in s]
    return statement


async def test_written_values_get_one_generic_plan_on_the_read_pool(rapport: App, scored: Tenant) -> None:
    f = {"custom": {"score": {"gte": 15}}, "name": {"in": ["O'Brien", "Plain"]}}
    data, engine, pool = await twice(rapport, scored, f)
    assert data["customers"]["nodes"] == [{"name": "Plain", "custom": {"score": 30}}]
    # The request engine authenticated before the statement was built: the request's custom plans.
    assert plans(engine) == ["force_custom_plan"]
    # On the read pool authentication goes with the statement, which asks for a generic plan.
    assert plans(pool) == ["force_generic_plan"]
    statement, parameters = read(pool)
    assert "CAST(15 AS BIGINT)" in statement
    assert "'O''Brien'" in statement
    values = list(parameters.values())
    for value in (15, "O'Brien", "Plain"):
        assert value not in values
    assert len(pool) == 2  # authentication and the read, as before


@pytest.mark.parametrize(
    ("f", "names"),
    [
        ({"name": {"eq": "a\\b"}}, ["a\\b"]),  # a backslash: bound
        ({"name": {"eq": "50% off"}}, ["50% off"]),  # a percent sign: bound
        ({"name": {"contains": "'"}}, ["O'Brien", "x' OR true OR name = 'y"]),  # a LIKE pattern: bound
    ],
)
async def test_values_that_cannot_be_written_stay_parameters(
    rapport: App, scored: Tenant, f: dict[str, Any], names: list[str]
) -> None:
    data, _, pool = await twice(rapport, scored, f)
    assert [n["name"] for n in data["customers"]["nodes"]] == sorted(names)
    assert plans(pool) == ["force_custom_plan"]


async def test_a_quote_in_a_written_value_is_only_a_quote(rapport: App, scored: Tenant) -> None:
    f = {"name": {"eq": "x' OR true OR name = 'y"}}
    data, _, pool = await twice(rapport, scored, f)
    assert data["customers"]["totalCount"] == 1
    assert [n["name"] for n in data["customers"]["nodes"]] == ["x' OR true OR name = 'y"]
    assert plans(pool) == ["force_generic_plan"]
    assert "'x'' OR true OR name = ''y'" in read(pool)[0]


@pytest.mark.parametrize(
    ("f", "plan"),
    [
        ({"name": {"eq": "O'Brien"}}, "force_generic_plan"),
        ({"name": {"in": NAMES[:3]}, "custom": {"score": {"lt": 20}}}, "force_custom_plan"),  # a\\b, 50%
        ({"name": {"in": NAMES[::3]}, "custom": {"score": {"lt": 35}}}, "force_generic_plan"),
        ({"or": [{"name": {"eq": "Plain"}}, {"custom": {"score": {"in": [0, 40]}}}]}, "force_generic_plan"),
        ({"not": {"custom": {"score": {"gte": 20}}}}, "force_generic_plan"),
        ({"name": {"eq": "x' OR true OR name = 'y"}}, "force_generic_plan"),
    ],
)
async def test_answers_are_the_resolvers_answers(rapport: App, scored: Tenant, f: dict[str, Any], plan: str) -> None:
    data, _, pool = await twice(rapport, scored, f)
    assert plans(pool) == [plan]
    with resolver_path(rapport):
        assert await scored.data(QUERY, {"f": f}) == data


@pytest.mark.parametrize(
    ("value", "kind", "written"),
    [
        (5, BigInteger(), True),
        (True, Integer(), False),
        (True, Boolean(), True),
        (Decimal("1.50"), Numeric(), True),
        (Decimal("NaN"), Numeric(), False),
        (1.5, Numeric(), False),
        (datetime.date(2026, 1, 2), Date(), True),
        (datetime.datetime(2026, 1, 2, 3, 4), Date(), False),
        (datetime.datetime(2026, 1, 2, 3, 4), DateTime(), False),
        (uuid.UUID(int=1), Uuid(), True),
        ("O'Brien", String(), True),
        ("a\\b", String(), False),
        ("a\x00b", String(), False),
        ("%a%", String(), False),
        ({"a": 1}, JSONB(), False),
        (["a", "O'Brien"], String(), True),
    ],
)
def test_which_values_are_written(value: Any, kind: Any, written: bool) -> None:
    bind = bindparam("v", value, kind, expanding=isinstance(value, list))
    assert _literal_reads_the_same(bind) is written


def test_in_lists_are_written_only_whole() -> None:
    assert _literal_reads_the_same(bindparam("v", ["a", "b%"], String(), expanding=True)) is False
    assert _literal_reads_the_same(bindparam("v", [], String(), expanding=True)) is False


async def test_page_sizes_are_written_into_the_text(rapport: App, scored: Tenant) -> None:
    """A page's LIMIT is a constant of the cached statement: as a parameter, a generic plan could not know it and
    PostgreSQL planned the statement again on every run. A filtered page keeps it bound (its generic plan, knowing
    the size, took a filter's index and sorted instead of walking the sort's index)."""
    query = "{ customers(first: 3) { nodes { name contacts(first: 2) { nodes { name } } } } }"
    first = await scored.data(query)
    with sent(rapport) as pool:
        assert await scored.data(query) == first
    statement, parameters = read(pool)
    assert "LIMIT 3" in statement
    assert "LIMIT 2" in statement
    assert 3 not in parameters.values()
    assert 2 not in parameters.values()
    assert len(first["customers"]["nodes"]) == 3


async def test_a_filtered_pages_size_stays_a_parameter(rapport: App, scored: Tenant) -> None:
    f = {"custom": {"score": {"gte": 15}}}
    _, _, pool = await twice(rapport, scored, f)
    statement, parameters = read(pool)
    assert "LIMIT 10" not in statement
    assert 10 in parameters.values()
