"""LONG_TEXT, MONEY, PERCENT, RATING, REFERENCE and JSON: valid and invalid values (field types alone, then
through the API in typed and generic form), and the round trip create -> query -> filter -> sort. REFERENCE
fields load their targets through a dataloader, read as null once the target is gone, and
``rapport check references`` lists such values."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, text

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.service import Refused, build_config
from rapport.customfields.types.base import FieldValueError
from rapport.customfields.types.json import MAX_BYTES
from rapport.customfields.types.registry import field_type
from rapport.db.database import Database
from rapport.errors import BadInput, UserErrorCode
from rapport.ids import from_global_id, new_id, to_global_id
from rapport.models import Customer, table_of
from rapport.tenants import enter_tenant
from tests.conftest import App, Tenant, resolver_path
from tests.domain import helpers
from tests.factories import insert_customers

E = UserErrorCode

# --- the field types alone ------------------------------------------------------------------------------------


def configured(type_name: str, **settings: Any) -> FieldDefinition:
    """A definition whose settings went through ``build_config``, as customFieldCreate does."""
    draft = FieldDefinition(id=uuid.uuid4(), entity="CUSTOMER", key="field", type=type_name, label="Field")
    return replace(draft, config=build_config(draft, settings))


def store(type_name: str, value: Any, **settings: Any) -> Any:
    return field_type(type_name).to_storage(value, configured(type_name, **settings))


def refusal(type_name: str, value: Any, **settings: Any) -> FieldValueError:
    definition = configured(type_name, **settings)
    with pytest.raises(FieldValueError) as caught:
        field_type(type_name).to_storage(value, definition)
    return caught.value


def config_refusal(type_name: str, **settings: Any) -> tuple[list[str], UserErrorCode]:
    draft = FieldDefinition(id=uuid.uuid4(), entity="CUSTOMER", key="field", type=type_name, label="Field")
    with pytest.raises(Refused) as caught:
        build_config(draft, settings)
    (problem,) = caught.value.problems
    return problem.path, problem.code


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("  first line\n\nthird line\t\n", "first line\n\nthird line"),  # inner line breaks kept, ends trimmed
        ("中文\r\n😀", "中文\r\n😀"),
        ("x" * 100_000, "x" * 100_000),
        ("   ", None),  # blank is no value
    ],
)
def test_long_text_valid(value: str, stored: str | None) -> None:
    assert store("LONG_TEXT", value) == stored


@pytest.mark.parametrize(
    ("value", "given", "code"),
    [
        ("x" * 100_001, {}, E.TOO_LONG),
        ("abcdef", {"maxLength": 5}, E.TOO_LONG),
        ("ab", {"minLength": 3}, E.TOO_SHORT),
        ("no\x00nul", {}, E.INVALID),
        (5, {}, E.INVALID),
        (["a"], {}, E.INVALID),
        ("lower", {"regex": "[A-Z]+"}, E.PATTERN_MISMATCH),
    ],
)
def test_long_text_invalid(value: Any, given: dict[str, Any], code: UserErrorCode) -> None:
    assert refusal("LONG_TEXT", value, **given).code == code


def test_long_text_settings() -> None:
    assert build_config(configured("LONG_TEXT"), {"maxLength": 100_000}) == {"maxLength": 100_000}
    assert config_refusal("LONG_TEXT", maxLength=100_001) == (["input", "maxLength"], E.INVALID)
    assert config_refusal("LONG_TEXT", sortable=True) == (["input", "sortable"], E.INVALID)
    assert config_refusal("LONG_TEXT", unique=True) == (["input", "unique"], E.INVALID)


@pytest.mark.parametrize(
    ("value", "given", "stored"),
    [
        ({"amount": "12.50", "currency": "cny"}, {}, {"amount": "12.5", "currency": "CNY"}),
        ({"amount": "12.50"}, {"currency": "eur"}, {"amount": "12.5", "currency": "EUR"}),  # the field's currency
        ({"amount": "1", "currency": "USD"}, {"currency": "EUR"}, {"amount": "1", "currency": "USD"}),
        ({"amount": 7, "currency": " jpy "}, {}, {"amount": "7", "currency": "JPY"}),
        ({"amount": 0.1, "currency": "USD"}, {}, {"amount": "0.1", "currency": "USD"}),
        ({"amount": "-3.1415", "currency": "USD"}, {}, {"amount": "-3.1415", "currency": "USD"}),  # 4 places
        ({"amount": "1E+3", "currency": "USD"}, {}, {"amount": "1000", "currency": "USD"}),
        ({"amount": "0", "currency": "USD"}, {"min": "0", "max": "10"}, {"amount": "0", "currency": "USD"}),
        ({"amount": "10.00", "currency": "USD"}, {"min": "0", "max": "10"}, {"amount": "10", "currency": "USD"}),
    ],
)
def test_money_valid(value: Any, given: dict[str, Any], stored: Any) -> None:
    assert store("MONEY", value, **given) == stored


@pytest.mark.parametrize(
    ("value", "given", "code", "path"),
    [
        ("12.50", {"currency": "USD"}, E.INVALID, ()),
        ({"currency": "USD"}, {}, E.INVALID, ()),
        (["12.50", "USD"], {}, E.INVALID, ()),
        ({"amount": "abc", "currency": "USD"}, {}, E.INVALID, ("amount",)),
        ({"amount": "NaN", "currency": "USD"}, {}, E.INVALID, ("amount",)),
        ({"amount": True, "currency": "USD"}, {}, E.INVALID, ("amount",)),
        ({"amount": "1.23456", "currency": "USD"}, {}, E.INVALID, ("amount",)),  # at most 4 places
        ({"amount": "1E+39", "currency": "USD"}, {}, E.TOO_LARGE, ("amount",)),
        ({"amount": "1"}, {}, E.REQUIRED, ("currency",)),  # no default currency
        ({"amount": "1", "currency": "ABC"}, {}, E.INVALID, ("currency",)),
        ({"amount": "1", "currency": "US"}, {}, E.INVALID, ("currency",)),
        ({"amount": "1", "currency": 840}, {}, E.INVALID, ("currency",)),
        ({"amount": "-0.01", "currency": "USD"}, {"min": "0"}, E.TOO_SMALL, ("amount",)),
        ({"amount": "10.01", "currency": "USD"}, {"max": "10"}, E.TOO_LARGE, ("amount",)),
    ],
)
def test_money_invalid(value: Any, given: dict[str, Any], code: UserErrorCode, path: tuple[str, ...]) -> None:
    problem = refusal("MONEY", value, **given)
    assert (problem.code, problem.path) == (code, path)


def test_money_settings() -> None:
    config = build_config(configured("MONEY"), {"currency": "cny", "min": "0.00", "max": 100, "default": {"amount": 5}})
    assert config == {"currency": "CNY", "min": "0", "max": "100", "default": {"amount": "5", "currency": "CNY"}}
    assert config_refusal("MONEY", currency="ZZZ") == (["input", "currency"], E.INVALID)
    assert config_refusal("MONEY", min="10", max="5") == (["input", "min"], E.INVALID)
    assert config_refusal("MONEY", currency="USD", default={"amount": "-1"}, min="0") == (
        ["input", "default"],
        E.TOO_SMALL,
    )
    assert config_refusal("MONEY", unique=True) == (["input", "unique"], E.INVALID)
    assert config_refusal("MONEY", scale=2) == (["input", "scale"], E.INVALID)


@pytest.mark.parametrize(
    ("value", "given", "outcome"),
    [
        ("0", {}, "0"),
        ("100", {}, "100"),
        ("12.50", {}, "12.5"),
        (0.5, {}, "0.5"),
        (100, {}, "100"),
        ("-0.01", {}, E.TOO_SMALL),
        ("100.01", {}, E.TOO_LARGE),
        ("-50", {"min": "-50", "max": "200"}, "-50"),
        ("150", {"min": "-50", "max": "200"}, "150"),
        ("200.5", {"min": "-50", "max": "200"}, E.TOO_LARGE),
        ("12.55", {"scale": 1}, E.INVALID),
        ("12.5", {"scale": 1}, "12.5"),
        ("abc", {}, E.INVALID),
        ("NaN", {}, E.INVALID),
        (True, {}, E.INVALID),
        ({"value": 1}, {}, E.INVALID),
    ],
)
def test_percent(value: Any, given: dict[str, Any], outcome: str | UserErrorCode) -> None:
    if isinstance(outcome, UserErrorCode):
        assert refusal("PERCENT", value, **given).code == outcome
    else:
        assert store("PERCENT", value, **given) == outcome


@pytest.mark.parametrize(
    ("value", "given", "outcome"),
    [
        (1, {}, 1),
        (5, {}, 5),
        (3.0, {}, 3),
        (10, {"max": 10}, 10),
        (2, {"max": 2}, 2),
        (0, {}, E.TOO_SMALL),
        (-1, {}, E.TOO_SMALL),
        (6, {}, E.TOO_LARGE),  # the default maximum is 5
        (8, {"max": 7}, E.TOO_LARGE),
        (2.5, {}, E.INVALID),
        ("3", {}, E.INVALID),
        (True, {}, E.INVALID),
        (None, {}, E.INVALID),
    ],
)
def test_rating(value: Any, given: dict[str, Any], outcome: int | UserErrorCode) -> None:
    if isinstance(outcome, UserErrorCode):
        assert refusal("RATING", value, **given).code == outcome
    else:
        stored = store("RATING", value, **given)
        assert stored == outcome
        assert type(stored) is int


@pytest.mark.parametrize("top", [1, 11, 0, True, "5", 2.5])
def test_rating_max_must_be_two_to_ten(top: Any) -> None:
    assert config_refusal("RATING", max=top) == (["input", "max"], E.INVALID)


def test_rating_settings() -> None:
    assert config_refusal("RATING", min=1) == (["input", "min"], E.INVALID)
    assert config_refusal("RATING", max=3, default=4) == (["input", "default"], E.TOO_LARGE)
    assert build_config(configured("RATING"), {"max": 10, "default": 10}) == {"max": 10, "default": 10}


def test_reference_stores_the_target_uuid() -> None:
    target = new_id()
    definition = configured("REFERENCE", target="PRODUCT")
    assert field_type("REFERENCE").to_storage(to_global_id("Product", target), definition) == str(target)


@pytest.mark.parametrize(
    "value",
    [
        to_global_id("Customer", uuid.UUID(int=1)),  # another type's ID
        str(uuid.UUID(int=1)),  # a bare UUID is not a global ID
        "not an id",
        "",
        42,
        ["x"],
    ],
)
def test_reference_invalid(value: Any) -> None:
    assert refusal("REFERENCE", value, target="PRODUCT").code == E.INVALID


def test_reference_settings() -> None:
    assert config_refusal("REFERENCE") == (["input", "target"], E.REQUIRED)
    assert config_refusal("REFERENCE", target="INVOICE") == (["input", "target"], E.REQUIRED)
    assert config_refusal("REFERENCE", target="CUSTOMER", sortable=True) == (["input", "sortable"], E.INVALID)
    assert config_refusal("REFERENCE", target="CUSTOMER", min=1) == (["input", "min"], E.INVALID)
    assert build_config(configured("REFERENCE", target="USER"), {"unique": True}) == {"target": "USER", "unique": True}


PROFILE = {
    "type": "object",
    "properties": {"size": {"type": "integer", "minimum": 1}, "tags": {"type": "array", "items": {"type": "string"}}},
    "required": ["size"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("value", "given"),
    [
        ({"size": 3, "tags": ["a"]}, {"schema": PROFILE}),
        ({"size": 1}, {"schema": PROFILE}),
        ({"anything": [1, {"nested": None}], "deep": {"a": {"b": {"c": True}}}}, {}),
        ([1, 2.5, "three"], {}),
        ("text", {}),
        (0, {}),
        (False, {}),
        (2**63 - 1, {}),
        (-(2**63) + 1, {}),
        (1.5e-300, {}),
    ],
)
def test_json_valid(value: Any, given: dict[str, Any]) -> None:
    assert store("JSON", value, **given) == value


@pytest.mark.parametrize(
    ("value", "given", "code", "message"),
    [
        ({"tags": []}, {"schema": PROFILE}, E.INVALID, "'size' is a required property"),
        ({"size": 0}, {"schema": PROFILE}, E.INVALID, "size: 0 is less than the minimum of 1"),
        ({"size": "3"}, {"schema": PROFILE}, E.INVALID, "size: '3' is not of type 'integer'"),
        ({"size": 1, "tags": [1]}, {"schema": PROFILE}, E.INVALID, "tags/0: 1 is not of type 'string'"),
        ({"size": 1, "colour": "red"}, {"schema": PROFILE}, E.INVALID, "Additional properties"),
        ([1], {"schema": PROFILE}, E.INVALID, "is not of type 'object'"),
        ({"a": "x" * MAX_BYTES}, {}, E.TOO_LONG, "bytes of JSON"),
        ({"a": "nul\x00"}, {}, E.INVALID, "NUL"),  # JSONB text cannot hold NUL
        ({"k\x00": 1}, {}, E.INVALID, "NUL"),
        (1e20, {}, E.INVALID, "2^63"),  # would read back as an integer no JSON response can carry
        (-(2**63), {}, E.INVALID, "2^63"),
        ([float("nan")], {}, E.INVALID, "2^63"),
        (object(), {}, E.INVALID, "JSON value"),
    ],
)
def test_json_invalid(value: Any, given: dict[str, Any], code: UserErrorCode, message: str) -> None:
    problem = refusal("JSON", value, **given)
    assert problem.code == code
    assert message in problem.message


def test_json_nesting_beyond_255_levels_is_refused() -> None:
    value: Any = "leaf"
    for _ in range(300):
        value = [value]
    assert refusal("JSON", value).code == E.INVALID


def test_json_settings() -> None:
    assert config_refusal("JSON", schema={"type": "no such type"}) == (["input", "schema"], E.INVALID)
    assert config_refusal("JSON", schema="object") == (["input", "schema"], E.INVALID)
    assert config_refusal("JSON", schema=PROFILE, default={"size": 0}) == (["input", "default"], E.INVALID)
    assert config_refusal("JSON", sortable=True) == (["input", "sortable"], E.INVALID)
    assert build_config(configured("JSON"), {"schema": PROFILE, "default": {"size": 2}})["default"] == {"size": 2}


def test_json_filter_operand_must_be_storable() -> None:
    definition = configured("JSON")
    ops = {"contains": {"a": "nul\x00"}}

    class Filter:
        contains = ops["contains"]
        is_null = None

    with pytest.raises(BadInput, match="NUL"):
        field_type("JSON").filter_clauses(Customer.__table__.c.custom, definition, Filter())


# --- through the API ------------------------------------------------------------------------------------------

CREATE_FIELD = (
    "mutation($input: CustomFieldCreateInput!) { customFieldCreate(input: $input) { "
    "customField { id key type indexStatus } userErrors { code field message } } }"
)
UPDATE_FIELD = (
    "mutation($id: ID!, $input: CustomFieldUpdateInput!) { customFieldUpdate(id: $id, input: $input) { "
    "customField { id config } userErrors { code field message } } }"
)
CREATE = (
    "mutation($input: CustomerCreateInput!) { customerCreate(input: $input) { "
    "customer { id version customFields } userErrors { code field message } } }"
)
UPDATE = (
    "mutation($id: ID!, $v: Int!, $input: CustomerUpdateInput!) { "
    "customerUpdate(id: $id, input: $input, expectedVersion: $v) { "
    "customer { id version customFields } userErrors { code field message } } }"
)
LIST = (
    "query($filter: CustomerFilter, $order: [CustomerOrderBy!]) { "
    "customers(first: 100, filter: $filter, orderBy: $order) { totalCount nodes { name } } }"
)


async def add_field(tenant: Tenant, key: str, type_: str, **settings: Any) -> dict[str, Any]:
    field_input = {"entity": "CUSTOMER", "key": key, "type": type_, "label": key.title(), **settings}
    payload = await tenant.mutate(CREATE_FIELD, {"input": field_input})
    definition: dict[str, Any] = payload["customField"]
    return definition


async def create(tenant: Tenant, name: str, **extra: Any) -> dict[str, Any]:
    data = await tenant.data(CREATE, {"input": {"kind": "PERSON", "name": name, **extra}})
    payload: dict[str, Any] = data["customerCreate"]
    return payload


async def created(tenant: Tenant, name: str, **extra: Any) -> dict[str, Any]:
    payload = await create(tenant, name, **extra)
    assert payload["userErrors"] == [], payload["userErrors"]
    customer: dict[str, Any] = payload["customer"]
    return customer


async def read(tenant: Tenant, customer_id: str, selection: str) -> dict[str, Any]:
    data = await tenant.data(
        f"query($id: ID!) {{ node(id: $id) {{ ... on Customer {{ custom {{ {selection} }} customFields }} }} }}",
        {"id": customer_id},
    )
    node: dict[str, Any] = data["node"]
    return node


async def names(
    tenant: Tenant, filter_: dict[str, Any] | None = None, order: list[dict[str, Any]] | None = None
) -> list[str]:
    data = await tenant.data(LIST, {"filter": filter_, "order": order})
    return [n["name"] for n in data["customers"]["nodes"]]


async def found(tenant: Tenant, key: str, condition: dict[str, Any]) -> list[str]:
    return sorted(await names(tenant, {"custom": {key: condition}}))


async def sort_keys(tenant: Tenant) -> list[str]:
    data = await tenant.data('{ __type(name: "CustomerCustomOrderField") { enumValues { name } } }')
    kind = data["__type"]
    return [] if kind is None else [v["name"] for v in kind["enumValues"]]


async def count(tenant: Tenant) -> int:
    data = await tenant.data("{ customers(first: 1) { totalCount } }")
    total: int = data["customers"]["totalCount"]
    return total


def errors(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def test_long_text_round_trip(tenant: Tenant) -> None:
    await add_field(tenant, "notes", "LONG_TEXT", maxLength=5000)
    memo = "Call back on Monday.\nAsk about the 50% discount_offer.\n\nSigned: Ana"
    a = await created(tenant, "A", custom={"notes": f"  {memo}\n"})
    b = await created(tenant, "B", customFields={"notes": "y" * 5000})
    await created(tenant, "C", custom={"notes": "short note"})
    await created(tenant, "N")
    assert a["customFields"] == {"notes": memo}
    assert (await read(tenant, a["id"], "notes"))["custom"] == {"notes": memo}
    assert (await read(tenant, b["id"], "notes"))["custom"] == {"notes": "y" * 5000}
    assert await found(tenant, "notes", {"contains": "DISCOUNT_"}) == ["A"]  # across lines, any case, _ literal
    assert await found(tenant, "notes", {"contains": "50%"}) == ["A"]
    assert await found(tenant, "notes", {"contains": "%"}) == ["A"]
    assert await found(tenant, "notes", {"startsWith": "call back"}) == ["A"]
    assert await found(tenant, "notes", {"eq": " short note "}) == ["C"]
    assert await found(tenant, "notes", {"ne": "short note"}) == ["A", "B"]
    assert await found(tenant, "notes", {"in": ["short note", memo]}) == ["A", "C"]
    assert await found(tenant, "notes", {"isNull": True}) == ["N"]
    assert await found(tenant, "notes", {"isNull": False}) == ["A", "B", "C"]
    # Long texts do not sort.
    assert "NOTES" not in await sort_keys(tenant)
    assert (await tenant.gql(LIST, {"order": [{"custom": "NOTES"}]}))["errors"]
    too_long = await create(tenant, "X", custom={"notes": "z" * 5001})
    assert errors(too_long) == [("TOO_LONG", ["input", "custom", "notes"])]
    not_text = await create(tenant, "X", customFields={"notes": ["a", "b"]})
    assert errors(not_text) == [("INVALID", ["input", "customFields", "notes"])]


async def test_long_text_of_100000_characters(tenant: Tenant) -> None:
    await add_field(tenant, "essay", "LONG_TEXT")
    longest = await created(tenant, "Longest", customFields={"essay": "é" * 100_000})
    assert len(longest["customFields"]["essay"]) == 100_000
    refused = await create(tenant, "Longer", custom={"essay": "é" * 100_001})
    assert errors(refused) == [("TOO_LONG", ["input", "custom", "essay"])]
    assert await count(tenant) == 1


async def test_money_round_trip(tenant: Tenant) -> None:
    await add_field(tenant, "price", "MONEY", currency="cny", sortable=True)
    a = await created(tenant, "A", custom={"price": {"amount": "12.50"}})  # the field's currency
    b = await created(tenant, "B", customFields={"price": {"amount": "3", "currency": "usd"}})
    c = await created(tenant, "C", custom={"price": {"amount": "100.0000", "currency": "EUR"}})
    await created(tenant, "N")
    assert a["customFields"] == {"price": {"amount": "12.5", "currency": "CNY"}}
    assert b["customFields"] == {"price": {"amount": "3", "currency": "USD"}}
    assert c["customFields"] == {"price": {"amount": "100", "currency": "EUR"}}
    read_back = await read(tenant, a["id"], "price { amount currency }")
    assert read_back["custom"] == {"price": {"amount": "12.5", "currency": "CNY"}}
    nothing = await tenant.data(
        "query($id: ID!) { node(id: $id) { ... on Customer { custom { price { amount } } } } }",
        {"id": (await created(tenant, "M"))["id"]},
    )
    assert nothing["node"]["custom"] == {"price": None}

    assert await found(tenant, "price", {"amount": {"gt": "5"}}) == ["A", "C"]
    assert await found(tenant, "price", {"amount": {"gte": "12.5", "lt": "100"}}) == ["A"]
    assert await found(tenant, "price", {"amount": {"lte": "12.50"}}) == ["A", "B"]  # numbers, not texts
    assert await found(tenant, "price", {"amount": {"eq": "12.50"}}) == ["A"]
    assert await found(tenant, "price", {"amount": {"ne": "12.5"}}) == ["B", "C"]
    assert await found(tenant, "price", {"amount": {"in": ["3.00", "1E+2"]}}) == ["B", "C"]
    assert await found(tenant, "price", {"amount": {"isNull": True}}) == ["M", "N"]
    assert await found(tenant, "price", {"currency": {"eq": "usd"}}) == ["B"]
    assert await found(tenant, "price", {"currency": {"in": ["CNY", "eur"]}}) == ["A", "C"]
    assert await found(tenant, "price", {"currency": {"ne": "CNY"}}) == ["B", "C"]
    assert await found(tenant, "price", {"currency": {"startsWith": "e"}}) == ["C"]
    assert await found(tenant, "price", {"currency": {"isNull": False}}) == ["A", "B", "C"]
    assert await found(tenant, "price", {"amount": {"gt": "1"}, "currency": {"eq": "CNY"}}) == ["A"]
    # Sorting compares amounts (currencies are never converted); no value sorts last ascending.
    assert await names(tenant, order=[{"custom": "PRICE"}, {"field": "NAME"}]) == ["B", "A", "C", "M", "N"]
    assert await names(tenant, order=[{"custom": "PRICE", "direction": "DESC"}, {"field": "NAME"}]) == [
        "M",
        "N",
        "C",
        "A",
        "B",
    ]
    bad = await tenant.gql(LIST, {"filter": {"custom": {"price": {"amount": {"gt": "1E+1000000"}}}}})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("value", "code", "path"),
    [
        ({"amount": "1.23456", "currency": "USD"}, "INVALID", ["price", "amount"]),
        ({"amount": "twelve"}, "INVALID", ["price", "amount"]),
        ({"amount": "1", "currency": "XYZ"}, "INVALID", ["price", "currency"]),
        ({"amount": "-1"}, "TOO_SMALL", ["price", "amount"]),
        ({"currency": "USD"}, "INVALID", ["price"]),
        ("12.50", "INVALID", ["price"]),
    ],
)
async def test_money_refusals(tenant: Tenant, value: Any, code: str, path: list[str]) -> None:
    await add_field(tenant, "price", "MONEY", currency="USD", min="0")
    generic = await create(tenant, "X", customFields={"price": value})
    assert errors(generic) == [(code, ["input", "customFields", *path])]
    if isinstance(value, dict) and "amount" in value and value["amount"] != "twelve":
        typed = await create(tenant, "X", custom={"price": value})
        assert errors(typed) == [(code, ["input", "custom", *path])]
    assert await count(tenant) == 0


async def test_money_without_default_currency_needs_one(tenant: Tenant) -> None:
    await add_field(tenant, "budget", "MONEY")
    refused = await create(tenant, "X", custom={"budget": {"amount": "5"}})
    assert errors(refused) == [("REQUIRED", ["input", "custom", "budget", "currency"])]
    typed_garbage = await tenant.gql(
        CREATE, {"input": {"kind": "PERSON", "name": "X", "custom": {"budget": {"amount": "abc"}}}}
    )
    assert typed_garbage["errors"]  # the typed input's Decimal scalar refuses it
    assert await count(tenant) == 0


# ISO 4217 codes that are not money: no currency, testing, precious metals, units of account.
NOT_CURRENCIES = ["XXX", "XTS", "XAU", "XAG", "XPT", "XPD", "XDR", "XUA", "XSU", "XBA"]


async def field_refusal(tenant: Tenant, field_input: dict[str, Any]) -> list[tuple[str, list[str]]]:
    data = await tenant.data(CREATE_FIELD, {"input": {"entity": "CUSTOMER", "label": "Field", **field_input}})
    return errors(data["customFieldCreate"])


async def test_money_refuses_codes_that_are_not_currencies(tenant: Tenant) -> None:
    for code in NOT_CURRENCIES:
        refused = await field_refusal(tenant, {"key": "budget", "type": "MONEY", "currency": code})
        assert refused == [("INVALID", ["input", "currency"])], code
    field = await add_field(tenant, "price", "MONEY", currency="USD")
    for code in NOT_CURRENCIES:
        for form in ("custom", "customFields"):
            payload = await create(tenant, "X", **{form: {"price": {"amount": "1", "currency": code.lower()}}})
            assert errors(payload) == [("INVALID", ["input", form, "price", "currency"])], (code, form)
    moved = (await tenant.data(UPDATE_FIELD, {"id": field["id"], "input": {"currency": "XXX"}}))["customFieldUpdate"]
    assert errors(moved) == [("INVALID", ["input", "currency"])]
    assert await count(tenant) == 0
    # Currencies shared by several countries keep their X-codes, and fund codes are amounts too.
    for code in ("XAF", "XOF", "XCD", "XCG", "XPF", "CLF"):
        made = await created(tenant, code, custom={"price": {"amount": "5", "currency": code}})
        assert made["customFields"] == {"price": {"amount": "5", "currency": code}}


async def test_percent_round_trip(tenant: Tenant) -> None:
    await add_field(tenant, "share", "PERCENT", scale=2)
    a = await created(tenant, "A", custom={"share": "12.50"})
    await created(tenant, "B", customFields={"share": 100})
    await created(tenant, "C", custom={"share": "0"})
    await created(tenant, "D", customFields={"share": "9.99"})
    await created(tenant, "N")
    assert a["customFields"] == {"share": "12.5"}
    assert (await read(tenant, a["id"], "share"))["custom"] == {"share": "12.5"}
    assert await found(tenant, "share", {"gt": "10"}) == ["A", "B"]  # 9.99 < 10 as numbers, not texts
    assert await found(tenant, "share", {"lt": "12.5"}) == ["C", "D"]
    assert await found(tenant, "share", {"gte": "0", "lte": "12.50"}) == ["A", "C", "D"]
    assert await found(tenant, "share", {"eq": "12.500"}) == ["A"]
    assert await found(tenant, "share", {"ne": "100"}) == ["A", "C", "D"]
    assert await found(tenant, "share", {"in": ["0", "100.0"]}) == ["B", "C"]
    assert await found(tenant, "share", {"isNull": True}) == ["N"]
    assert await names(tenant, order=[{"custom": "SHARE"}]) == ["C", "D", "A", "B", "N"]
    assert await names(tenant, order=[{"custom": "SHARE", "direction": "DESC"}]) == ["N", "B", "A", "D", "C"]
    for value, code in (("100.01", "TOO_LARGE"), ("-0.5", "TOO_SMALL"), ("1.234", "INVALID"), ("half", "INVALID")):
        refused = await create(tenant, "X", customFields={"share": value})
        assert errors(refused) == [(code, ["input", "customFields", "share"])], value
    assert errors(await create(tenant, "X", custom={"share": "101"})) == [("TOO_LARGE", ["input", "custom", "share"])]
    assert await count(tenant) == 5


async def test_percent_settings_must_leave_some_value(tenant: Tenant) -> None:
    # Without max a percentage stops at 100, without min it starts at 0: one bound past the other refuses all.
    for given, setting in (({"min": 150}, "min"), ({"max": -5}, "max"), ({"min": 60, "max": 50}, "min")):
        refused = await field_refusal(tenant, {"key": "share", "type": "PERCENT", **given})
        assert refused == [("INVALID", ["input", setting])], given
    field = await add_field(tenant, "share", "PERCENT")
    for bound, value in (("min", "100.5"), ("max", "-0.01")):
        update = (await tenant.data(UPDATE_FIELD, {"id": field["id"], "input": {bound: value}}))["customFieldUpdate"]
        assert errors(update) == [("INVALID", ["input", bound])], value
    # Moving both bounds, or one within the other's default, is fine.
    await add_field(tenant, "growth", "PERCENT", min=150, max=300)
    await add_field(tenant, "change", "PERCENT", min=-50)
    made = await created(tenant, "A", custom={"share": "100", "growth": "200", "change": "-50"})
    assert made["customFields"] == {"share": "100", "growth": "200", "change": "-50"}


async def test_rating_round_trip(tenant: Tenant) -> None:
    await add_field(tenant, "stars", "RATING", max=7)
    a = await created(tenant, "A", custom={"stars": 7})
    await created(tenant, "B", customFields={"stars": 1})
    await created(tenant, "C", custom={"stars": 4})
    await created(tenant, "N")
    assert a["customFields"] == {"stars": 7}
    assert (await read(tenant, a["id"], "stars"))["custom"] == {"stars": 7}
    assert await found(tenant, "stars", {"gte": 4}) == ["A", "C"]
    assert await found(tenant, "stars", {"lt": 4}) == ["B"]
    assert await found(tenant, "stars", {"eq": 7}) == ["A"]
    assert await found(tenant, "stars", {"ne": 7}) == ["B", "C"]
    assert await found(tenant, "stars", {"in": [1, 7]}) == ["A", "B"]
    assert await found(tenant, "stars", {"isNull": True}) == ["N"]
    assert await names(tenant, order=[{"custom": "STARS"}]) == ["B", "C", "A", "N"]
    assert await names(tenant, order=[{"custom": "STARS", "direction": "DESC"}]) == ["N", "A", "C", "B"]
    for value, code in ((8, "TOO_LARGE"), (0, "TOO_SMALL"), (-2, "TOO_SMALL")):
        assert errors(await create(tenant, "X", custom={"stars": value})) == [(code, ["input", "custom", "stars"])]
    generic_cases: list[tuple[Any, str]] = [(8, "TOO_LARGE"), ("5", "INVALID"), (4.5, "INVALID"), (True, "INVALID")]
    for generic_value, code in generic_cases:
        refused = await create(tenant, "X", customFields={"stars": generic_value})
        assert errors(refused) == [(code, ["input", "customFields", "stars"])], generic_value
    assert (await tenant.gql(CREATE, {"input": {"kind": "PERSON", "name": "X", "custom": {"stars": "5"}}}))["errors"]
    assert await count(tenant) == 4


async def test_json_round_trip(tenant: Tenant) -> None:
    await add_field(tenant, "profile", "JSON", schema=PROFILE)
    a = await created(tenant, "A", custom={"profile": {"size": 3, "tags": ["vip", "eu"]}})
    await created(tenant, "B", customFields={"profile": {"size": 1, "tags": ["eu"]}})
    await created(tenant, "C", custom={"profile": {"size": 3}})
    await created(tenant, "N")
    assert a["customFields"] == {"profile": {"size": 3, "tags": ["vip", "eu"]}}
    assert (await read(tenant, a["id"], "profile"))["custom"] == {"profile": {"size": 3, "tags": ["vip", "eu"]}}
    assert await found(tenant, "profile", {"contains": {"size": 3}}) == ["A", "C"]
    assert await found(tenant, "profile", {"contains": {"tags": ["eu"]}}) == ["A", "B"]
    assert await found(tenant, "profile", {"contains": {"tags": ["eu", "vip"]}}) == ["A"]
    assert await found(tenant, "profile", {"contains": {"size": 3, "tags": ["eu"]}}) == ["A"]
    assert await found(tenant, "profile", {"contains": {}}) == ["A", "B", "C"]
    assert await found(tenant, "profile", {"isNull": True}) == ["N"]
    assert await found(tenant, "profile", {"isNull": False, "contains": {"size": 1}}) == ["B"]
    # JSON does not sort.
    assert "PROFILE" not in await sort_keys(tenant)
    nul = await tenant.gql(LIST, {"filter": {"custom": {"profile": {"contains": {"tags": ["\x00"]}}}}})
    assert nul["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # Values that break the schema are refused in either form, with the failing part named.
    refused = await create(tenant, "X", custom={"profile": {"size": 0}})
    assert errors(refused) == [("INVALID", ["input", "custom", "profile"])]
    assert "size: 0 is less than the minimum of 1" in refused["userErrors"][0]["message"]
    refused = await create(tenant, "X", customFields={"profile": {"size": 2, "extra": True}})
    assert errors(refused) == [("INVALID", ["input", "customFields", "profile"])]
    refused = await create(tenant, "X", customFields={"profile": "not an object"})
    assert errors(refused) == [("INVALID", ["input", "customFields", "profile"])]
    assert await count(tenant) == 4


@pytest.mark.parametrize(
    "value",
    [{"note": "nul\x00"}, {"nul\x00key": 1}, 1e20, [1.5e300]],
    ids=["nul-text", "nul-key", "1e20", "1.5e300"],
)
async def test_json_values_that_could_not_be_stored_or_served_are_refused(tenant: Tenant, value: Any) -> None:
    await add_field(tenant, "blob", "JSON")
    refused = await create(tenant, "X", customFields={"blob": value})
    assert errors(refused) == [("INVALID", ["input", "customFields", "blob"])]
    assert await count(tenant) == 0
    # What fits is stored and read back exactly.
    fine = await created(tenant, "Y", customFields={"blob": {"n": 2**63 - 1, "f": 0.25, "s": "ok"}})
    assert (await read(tenant, fine["id"], "blob"))["custom"] == {"blob": {"n": 2**63 - 1, "f": 0.25, "s": "ok"}}


async def test_json_without_schema_takes_any_value(tenant: Tenant) -> None:
    await add_field(tenant, "raw", "JSON")
    for n, value in enumerate([[1, "two", {"three": 3}], "text", 0, False, {"deep": {"er": [None]}}]):
        customer = await created(tenant, f"C{n}", customFields={"raw": value})
        assert (await read(tenant, customer["id"], "raw"))["custom"] == {"raw": value}
    assert await found(tenant, "raw", {"contains": 0}) == ["C2"]
    assert await found(tenant, "raw", {"contains": False}) == ["C3"]
    assert await found(tenant, "raw", {"contains": [{"three": 3}]}) == ["C0"]


# --- REFERENCE -----------------------------------------------------------------------------------------------


async def delete_customer(tenant: Tenant, customer_id: str) -> None:
    payload = await tenant.mutate(
        "mutation($id: ID!) { customerDelete(id: $id) { deletedId userErrors { code field message } } }",
        {"id": customer_id},
    )
    assert payload["deletedId"] == customer_id


async def test_reference_round_trip(tenant: Tenant) -> None:
    await add_field(tenant, "referrer", "REFERENCE", target="CUSTOMER", filterable=True)
    x = await created(tenant, "X")
    y = await created(tenant, "Y")
    a = await created(tenant, "A", custom={"referrer": x["id"]})
    b = await created(tenant, "B", customFields={"referrer": y["id"]})
    await created(tenant, "C", custom={"referrer": x["id"]})
    x_uuid = str(from_global_id(x["id"])[1])  # type: ignore[index]
    assert a["customFields"] == {"referrer": x_uuid}  # stored as the target's UUID
    read_back = await read(tenant, a["id"], "referrer { __typename id name }")
    assert read_back["custom"] == {"referrer": {"__typename": "Customer", "id": x["id"], "name": "X"}}
    assert (await read(tenant, x["id"], "referrer { id }"))["custom"] == {"referrer": None}
    assert await found(tenant, "referrer", {"eq": x["id"]}) == ["A", "C"]
    assert await found(tenant, "referrer", {"ne": x["id"]}) == ["B"]
    assert await found(tenant, "referrer", {"in": [x["id"], y["id"]]}) == ["A", "B", "C"]
    assert await found(tenant, "referrer", {"in": []}) == []
    assert await found(tenant, "referrer", {"isNull": True}) == ["X", "Y"]
    assert await found(tenant, "referrer", {"isNull": False}) == ["A", "B", "C"]
    assert "REFERRER" not in await sort_keys(tenant)  # references do not sort
    for operand in (helpers.retype(x["id"], "Product"), "garbage"):
        body = await tenant.gql(LIST, {"filter": {"custom": {"referrer": {"eq": operand}}}})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # Clearing and changing a reference.
    changed = await tenant.data(UPDATE, {"id": b["id"], "v": b["version"], "input": {"custom": {"referrer": x["id"]}}})
    assert changed["customerUpdate"]["customer"]["customFields"] == {"referrer": x_uuid}
    cleared = await tenant.data(
        UPDATE, {"id": b["id"], "v": b["version"] + 1, "input": {"customFields": {"referrer": None}}}
    )
    assert cleared["customerUpdate"]["customer"]["customFields"] == {}


async def test_reference_refusals(tenant: Tenant, other_tenant: Tenant) -> None:
    await add_field(tenant, "referrer", "REFERENCE", target="CUSTOMER")
    theirs = await created(other_tenant, "Theirs")
    gone = await created(tenant, "Gone")
    await delete_customer(tenant, gone["id"])
    company = await helpers.company(tenant, "Acme")
    contact = await helpers.contact(tenant, company)
    cases: list[tuple[Any, str]] = [
        (theirs["id"], "NOT_FOUND"),  # another tenant's customer is not there at all
        (gone["id"], "NOT_FOUND"),  # a deleted one cannot be pointed at anew
        (helpers.global_id("Customer"), "NOT_FOUND"),
        (contact, "INVALID"),  # a Contact is not a Customer
        (helpers.retype(company, "Product"), "INVALID"),
        (str(from_global_id(company)[1]), "INVALID"),  # type: ignore[index]
        ("garbage", "INVALID"),
    ]
    for value, code in cases:
        typed = await create(tenant, "X", custom={"referrer": value})
        assert errors(typed) == [(code, ["input", "custom", "referrer"])], value
        generic = await create(tenant, "X", customFields={"referrer": value})
        assert [e["code"] for e in generic["userErrors"]] == [code], value  # the path: see the xfail below
    assert errors(await create(tenant, "X", customFields={"referrer": 5})) == [
        ("INVALID", ["input", "customFields", "referrer"])
    ]
    assert await count(tenant) == 1  # Acme


async def test_missing_reference_target_is_reported_where_it_was_sent(tenant: Tenant) -> None:
    await add_field(tenant, "referrer", "REFERENCE", target="CUSTOMER")
    generic = await create(tenant, "X", customFields={"referrer": helpers.global_id("Customer")})
    assert errors(generic) == [("NOT_FOUND", ["input", "customFields", "referrer"])]


async def _target_of_each_kind(tenant: Tenant) -> dict[str, str]:
    """An object of every type a REFERENCE can point at: {target: global ID}."""
    company = await helpers.company(tenant, "Target Co")
    product = await helpers.product(tenant)
    order = await helpers.order(tenant, company, [helpers.line(product)])
    opportunity = await helpers.opportunity(tenant, company)
    return {
        "CUSTOMER": company,
        "CONTACT": await helpers.contact(tenant, company),
        "USER": await helpers.user(tenant, "Target User"),
        "PRODUCT": product,
        "ORDER": order["id"],
        "OPPORTUNITY": opportunity["id"],
    }


async def test_reference_to_every_target(tenant: Tenant) -> None:
    targets = await _target_of_each_kind(tenant)
    for target in targets:
        await add_field(tenant, f"ref{target.title()}", "REFERENCE", target=target)
    custom = {f"ref{t.title()}": gid for t, gid in targets.items()}
    customer = await created(tenant, "Refers to everything", customFields=custom)
    selection = " ".join(f"ref{t.title()} {{ __typename id }}" for t in targets)
    read_back = (await read(tenant, customer["id"], selection))["custom"]
    for target, gid in targets.items():
        assert read_back[f"ref{target.title()}"] == {"__typename": from_global_id(gid)[0], "id": gid}  # type: ignore[index]
    # Each field takes only its own target type.
    refused = await create(tenant, "X", customFields={"refProduct": targets["ORDER"]})
    assert errors(refused) == [("INVALID", ["input", "customFields", "refProduct"])]


async def test_reference_to_a_deleted_target_reads_as_null(tenant: Tenant) -> None:
    await add_field(tenant, "referrer", "REFERENCE", target="CUSTOMER")
    x = await created(tenant, "X")
    a = await created(tenant, "A", custom={"referrer": x["id"]})
    await delete_customer(tenant, x["id"])
    after = await read(tenant, a["id"], "referrer { id }")
    assert after["custom"] == {"referrer": None}
    assert after["customFields"] == {"referrer": str(from_global_id(x["id"])[1])}  # type: ignore[index]
    # The record stays writable: other changes keep the dangling value; a new value must exist.
    kept = await tenant.data(UPDATE, {"id": a["id"], "v": a["version"], "input": {"name": "A2"}})
    assert kept["customerUpdate"]["userErrors"] == []
    restored = await tenant.mutate(
        "mutation($id: ID!) { customerRestore(id: $id) { customer { id } userErrors { code field message } } }",
        {"id": x["id"]},
    )
    assert restored["customer"]["id"] == x["id"]
    assert (await read(tenant, a["id"], "referrer { id }"))["custom"] == {"referrer": {"id": x["id"]}}


async def _insert_referrers(tenant: Tenant, owner_engine: Any, targets: list[str], start: int) -> None:
    rows = [
        {
            "tenant_id": tenant.id,
            "id": new_id(),
            "kind": "PERSON",
            "name": f"Referrer {start + n:03d}",
            "custom": {"referrer": str(from_global_id(target)[1])},  # type: ignore[index]
        }
        for n, target in enumerate(targets)
    ]
    async with owner_engine.begin() as conn:
        await enter_tenant(conn, tenant.id)
        await conn.execute(insert(table_of(Customer)), rows)


async def test_references_load_through_one_batched_statement(rapport: App, tenant: Tenant, owner_engine: Any) -> None:
    await add_field(tenant, "referrer", "REFERENCE", target="CUSTOMER")
    targets = await insert_customers(owner_engine, tenant, 50)
    query = (
        "{ customers(first: 100, filter: {custom: {referrer: {isNull: false}}}, orderBy: [{field: NAME}]) "
        "{ nodes { name custom { referrer { id name } } } } }"
    )

    async def statements() -> tuple[int, list[dict[str, Any]]]:
        with rapport.sql.capture() as captured, resolver_path(rapport):
            data = await tenant.data(query)
        loads = [s for s in captured if "FROM customers" in s and "IN (" in s.upper().replace("\n", " ")]
        assert len(loads) == 1, loads  # every referenced customer in one statement
        nodes: list[dict[str, Any]] = data["customers"]["nodes"]
        return len(captured), nodes

    await _insert_referrers(tenant, owner_engine, targets[:5], 0)
    await tenant.data(query)  # the tenant's schema is built (and its definitions read) once, on first use
    five, nodes = await statements()
    assert [n["custom"]["referrer"]["id"] for n in nodes] == targets[:5]
    await _insert_referrers(tenant, owner_engine, targets[5:], 5)
    fifty, nodes = await statements()
    assert len(nodes) == 50
    assert [n["custom"]["referrer"]["id"] for n in nodes] == targets
    assert [n["custom"]["referrer"]["name"] for n in nodes] == [f"Company {i:04d}" for i in range(50)]
    assert fifty == five
    # Compiled (the default): the references are joined into the one statement after authentication.
    with rapport.sql.capture() as captured:
        assert (await tenant.data(query))["customers"]["nodes"] == nodes
    assert len(captured) == 2


@pytest.fixture(scope="module")
def owner_url(database: Database) -> str:
    return database.owner_url.render_as_string(hide_password=False)


def check_references(owner_url: str) -> tuple[int, list[dict[str, Any]]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env["RAPPORT_DATABASE_URL"] = owner_url
    rapport_cli = str(Path(sys.executable).parent / "rapport")
    done = subprocess.run(
        [rapport_cli, "check", "references", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


async def test_check_references_lists_dangling_values(tenant: Tenant, owner_url: str, owner_engine: Any) -> None:
    await add_field(tenant, "referrer", "REFERENCE", target="CUSTOMER")
    await add_field(tenant, "seller", "REFERENCE", target="USER")
    x = await created(tenant, "X")
    a = await created(tenant, "A", custom={"referrer": x["id"]})
    kept = await created(tenant, "B", custom={"referrer": (await created(tenant, "Y"))["id"]})
    await delete_customer(tenant, x["id"])
    # A value whose row is gone altogether (written before the target was purged, say).
    vanished = str(new_id())
    async with owner_engine.begin() as conn:
        await enter_tenant(conn, tenant.id)
        await conn.execute(
            text(
                "UPDATE customers SET custom = custom || jsonb_build_object('seller', CAST(:v AS text)) WHERE id = :id"
            ),
            {"v": vanished, "id": from_global_id(kept["id"])[1]},  # type: ignore[index]
        )
    code, found = check_references(owner_url)
    assert code == 1
    ours = sorted((f["record_id"], f["key"], f["target"], f["value"]) for f in found if f["tenant"] == tenant.ref.slug)
    assert ours == sorted(
        [
            (str(from_global_id(a["id"])[1]), "referrer", "Customer", str(from_global_id(x["id"])[1])),  # type: ignore[index]
            (str(from_global_id(kept["id"])[1]), "seller", "User", vanished),  # type: ignore[index]
        ]
    )
    # Clearing the values takes the records off the list.
    for customer in (a, kept):
        current = await tenant.data(
            "query($id: ID!) { node(id: $id) { ... on Customer { version } } }", {"id": customer["id"]}
        )
        cleared = await tenant.data(
            UPDATE,
            {
                "id": customer["id"],
                "v": current["node"]["version"],
                "input": {"customFields": {"referrer": None, "seller": None}},
            },
        )
        assert cleared["customerUpdate"]["userErrors"] == []
    _, found = check_references(owner_url)
    assert not [f for f in found if f["tenant"] == tenant.ref.slug]


async def test_reference_target_cannot_change_while_values_exist(tenant: Tenant) -> None:
    field = await add_field(tenant, "referrer", "REFERENCE", target="CUSTOMER")
    x = await created(tenant, "X")
    a = await created(tenant, "A", custom={"referrer": x["id"]})
    update = (
        "mutation($id: ID!, $input: CustomFieldUpdateInput!) { customFieldUpdate(id: $id, input: $input) "
        "{ customField { config } userErrors { code field message } } }"
    )
    refused = (await tenant.data(update, {"id": field["id"], "input": {"target": "PRODUCT"}}))["customFieldUpdate"]
    assert errors(refused) == [("INVALID_STATE", ["input", "target"])]
    assert (await read(tenant, a["id"], "referrer { id }"))["custom"] == {"referrer": {"id": x["id"]}}
    # The same target, or any change once no record holds a value, is fine.
    same = (await tenant.data(update, {"id": field["id"], "input": {"target": "CUSTOMER"}}))["customFieldUpdate"]
    assert same["userErrors"] == []
    await tenant.data(UPDATE, {"id": a["id"], "v": a["version"], "input": {"custom": {"referrer": None}}})
    moved = (await tenant.data(update, {"id": field["id"], "input": {"target": "PRODUCT"}}))["customFieldUpdate"]
    assert moved["userErrors"] == []
    assert moved["customField"]["config"]["target"] == "PRODUCT"


# --- expression indexes -----------------------------------------------------------------------------------------

# (type, settings, SQL for the value of the n-th of 6,000 records)
INDEXED: list[tuple[str, dict[str, Any], str]] = [
    ("MONEY", {"currency": "CNY"}, "jsonb_build_object('amount', (n || '.5'), 'currency', 'CNY')"),
    ("PERCENT", {}, "to_jsonb(trim_scale((n % 1000) / 10.0)::text)"),
    ("RATING", {"max": 10}, "to_jsonb(1 + n % 10)"),
]


async def indexed_tenant(
    rapport: App, tenant: Tenant, owner_engine: Any, type_: str, given: Any, value_sql: str, key: str = "price"
) -> str:
    """6,000 customers with values in a filterable, sortable field ``key``; its indexes built; the btree's name."""
    from rapport.customfields.indexes import btree_name

    await add_field(tenant, key, type_, filterable=True, sortable=True, **given)
    await insert_customers(owner_engine, tenant, 6000)
    async with owner_engine.begin() as conn:
        await enter_tenant(conn, tenant.id)
        await conn.execute(
            text(
                f"UPDATE customers SET custom = jsonb_build_object('{key}', v.value) FROM ("
                f"SELECT id, {value_sql} AS value FROM (SELECT id, row_number() OVER (ORDER BY id) AS n "
                "FROM customers WHERE tenant_id = :t) numbered) v WHERE customers.id = v.id AND tenant_id = :t"
            ),
            {"t": tenant.id},
        )
    await indexes_built_and_analyzed(rapport, owner_engine)
    definition = FieldDefinition(id=uuid.uuid4(), entity="CUSTOMER", key=key, type=type_, label=key.title())
    return btree_name(definition)


async def indexes_built_and_analyzed(rapport: App, owner_engine: Any) -> None:
    """Wait for the API's index builds, then give the planner fresh statistics on customers."""
    await asyncio.wait_for(rapport.app.state.rapport.index_builder.drain(), 60)
    async with owner_engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("ANALYZE customers"))


async def api_plan(
    rapport: App,
    tenant: Tenant,
    owner_engine: Any,
    app_role: str,
    query: str,
    *,
    compiled: bool = False,
    analyze: bool = False,
) -> str:
    """EXPLAIN (ANALYZE when asked) of the customers SELECT the API sends for ``query`` (by the resolvers, or
    the compiled read), planned as the API's role (under row-level security) plans it."""
    from sqlalchemy import event

    await tenant.data(query)  # the schema is built before capturing
    sent: list[tuple[str, Any]] = []
    start = "SELECT CAST(json_build_object" if compiled else "SELECT customers.tenant_id"

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if statement.lstrip().startswith(start):
            sent.append((statement, parameters))

    event.listen(rapport.engine.sync_engine, "before_cursor_execute", capture)
    try:
        with nullcontext() if compiled else resolver_path(rapport):
            assert (await tenant.data(query))["customers"]["nodes"]
    finally:
        event.remove(rapport.engine.sync_engine, "before_cursor_execute", capture)
    ((statement, parameters),) = sent
    async with owner_engine.begin() as conn:
        await conn.execute(text(f'SET LOCAL ROLE "{app_role}"'))  # the owner may bypass row-level security
        await enter_tenant(conn, tenant.id)
        explain = "EXPLAIN (ANALYZE) " if analyze else "EXPLAIN "
        return "\n".join((await conn.exec_driver_sql(explain + statement, parameters)).scalars())


@pytest.mark.parametrize(("type_", "given", "value_sql"), INDEXED, ids=[i[0] for i in INDEXED])
async def test_sorting_uses_the_expression_index(
    rapport: App, settings: Any, tenant: Tenant, owner_engine: Any, type_: str, given: Any, value_sql: str
) -> None:
    index = await indexed_tenant(rapport, tenant, owner_engine, type_, given, value_sql)
    query = "{ customers(first: 20, orderBy: [{custom: PRICE, direction: DESC}]) { nodes { name } } }"
    for compiled in (False, True):
        plan = await api_plan(rapport, tenant, owner_engine, settings.app_role, query, compiled=compiled)
        assert f"Index Scan Backward using {index}" in plan, plan


# (type, settings, a value of another type under the same key, written by a second tenant)
CROSS_TENANT: list[tuple[str, dict[str, Any], str, Any]] = [
    ("INTEGER", {}, "TEXT", "high"),
    ("RATING", {}, "JSON", {"stars": 5}),
    ("DECIMAL", {}, "TEXT", "12,5"),
    ("PERCENT", {}, "JSON", 12.5),
    ("MONEY", {"currency": "USD"}, "JSON", {"amount": "a lot"}),
]


@pytest.mark.parametrize(("type_", "given", "other_type", "value"), CROSS_TENANT, ids=[c[0] for c in CROSS_TENANT])
async def test_an_index_never_refuses_another_tenants_values(
    rapport: App,
    tenant: Tenant,
    other_tenant: Tenant,
    type_: str,
    given: dict[str, Any],
    other_type: str,
    value: Any,
) -> None:
    # Indexes are shared by every tenant with the same key and type, and evaluated on every row.
    await add_field(tenant, "level", type_, sortable=True, **given)
    await asyncio.wait_for(rapport.app.state.rapport.index_builder.drain(), 60)
    await add_field(other_tenant, "level", other_type)
    written = await created(other_tenant, "Other", customFields={"level": value})
    assert written["customFields"] == {"level": value}
    assert await names(other_tenant, {"custom": {"level": {"isNull": False}}}) == ["Other"]
    present = {"amount": {"isNull": False}} if type_ == "MONEY" else {"isNull": False}
    assert await names(tenant, {"custom": {"level": present}}) == []
