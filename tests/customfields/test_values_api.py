"""Custom values through the HTTP API: write (typed and generic), read, filter, sort and page; validation
failures as userErrors; required fields and defaults; clearing values on update."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Tenant

CREATE_FIELD = (
    "mutation($input: CustomFieldCreateInput!) { customFieldCreate(input: $input) { "
    "customField { id key options { id value } } userErrors { code field message } } }"
)
UPDATE_FIELD = (
    "mutation($id: ID!, $input: CustomFieldUpdateInput!) { customFieldUpdate(id: $id, input: $input) { "
    "customField { id } userErrors { code field message } } }"
)
CREATE = (
    "mutation($input: CustomerCreateInput!) { customerCreate(input: $input) { "
    "customer { id name version customFields } userErrors { code field message } } }"
)
UPDATE = (
    "mutation($id: ID!, $v: Int!, $input: CustomerUpdateInput!) { "
    "customerUpdate(id: $id, input: $input, expectedVersion: $v) { "
    "customer { id version customFields } userErrors { code field message } } }"
)
LIST = (
    "query($filter: CustomerFilter, $order: [CustomerOrderBy!], $first: Int = 50, $after: String) { "
    "customers(first: $first, after: $after, filter: $filter, orderBy: $order) { "
    "totalCount pageInfo { hasNextPage endCursor } nodes { name } } }"
)

OPTIONS = {
    "tier": [{"label": "Gold"}, {"label": "Silver"}, {"label": "Bronze"}],
    "hobbies": [{"label": "Sports"}, {"label": "Music"}, {"label": "Travel"}],
}
FIELDS: dict[str, tuple[str, dict[str, Any]]] = {
    "text": ("TEXT", {"maxLength": 20}),
    "count": ("INTEGER", {"min": -1000, "max": 1000}),
    "amount": ("DECIMAL", {"scale": 2}),
    "active": ("BOOLEAN", {}),
    "since": ("DATE", {"min": "2000-01-01"}),
    "seenAt": ("DATETIME", {}),
    "mail": ("EMAIL", {}),
    "mobile": ("PHONE", {"defaultRegion": "CN"}),
    "site": ("URL", {}),
    "tier": ("SELECT", {"options": OPTIONS["tier"]}),
    "hobbies": ("MULTI_SELECT", {"options": OPTIONS["hobbies"]}),
}
SORT_NAMES = {
    "text": "TEXT",
    "count": "COUNT",
    "amount": "AMOUNT",
    "active": "ACTIVE",
    "since": "SINCE",
    "seenAt": "SEEN_AT",
    "mail": "MAIL",
    "mobile": "MOBILE",
    "site": "SITE",
    "tier": "TIER",
}


class Fields:
    """The custom fields a test created, with their option ids."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        self.options: dict[str, dict[str, str]] = {}

    def stored(self, key: str, value: Any) -> Any:
        """Expected stored form: enum names of select fields become option ids."""
        if key == "tier" and value is not None:
            return self.options[key][value]
        if key == "hobbies" and value is not None:
            return [self.options[key][v] for v in value]
        return value


async def add_fields(tenant: Tenant, *keys: str, **overrides: dict[str, Any]) -> Fields:
    fields = Fields()
    for key in keys or FIELDS:
        type_, settings = FIELDS[key]
        field_input = {
            "entity": "CUSTOMER",
            "key": key,
            "type": type_,
            "label": key.title(),
            **settings,
            **overrides.get(key, {}),
        }
        payload = await tenant.mutate(CREATE_FIELD, {"input": field_input})
        fields.ids[key] = payload["customField"]["id"]
        fields.options[key] = {o["value"]: o["id"] for o in payload["customField"]["options"]}
    return fields


async def create(tenant: Tenant, name: str, **extra: Any) -> dict[str, Any]:
    """The customerCreate payload (userErrors may be non-empty)."""
    data = await tenant.data(CREATE, {"input": {"kind": "PERSON", "name": name, **extra}})
    payload: dict[str, Any] = data["customerCreate"]
    return payload


async def created(tenant: Tenant, name: str, **extra: Any) -> dict[str, Any]:
    payload = await create(tenant, name, **extra)
    assert payload["userErrors"] == [], payload["userErrors"]
    customer: dict[str, Any] = payload["customer"]
    return customer


async def update(tenant: Tenant, customer: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = await tenant.data(UPDATE, {"id": customer["id"], "v": customer["version"], "input": changes})
    payload: dict[str, Any] = data["customerUpdate"]
    return payload


async def names(
    tenant: Tenant, filter_: dict[str, Any] | None = None, order: list[dict[str, Any]] | None = None
) -> list[str]:
    data = await tenant.data(LIST, {"filter": filter_, "order": order})
    return [n["name"] for n in data["customers"]["nodes"]]


async def count(tenant: Tenant) -> int:
    data = await tenant.data("{ customers(first: 1) { totalCount } }")
    total: int = data["customers"]["totalCount"]
    return total


async def custom_of(tenant: Tenant, customer_id: str, keys: str) -> dict[str, Any]:
    data = await tenant.data(
        f"query($id: ID!) {{ node(id: $id) {{ ... on Customer {{ custom {{ {keys} }} customFields }} }} }}",
        {"id": customer_id},
    )
    node: dict[str, Any] = data["node"]
    return node


def errors(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


# --- round trip ----------------------------------------------------------------------------------------------

# key, value sent, value returned by `custom`, value stored (customFields; enum names stand for option ids)
ROUND_TRIPS: list[tuple[str, Any, Any, Any]] = [
    ("text", "  Hello world  ", "Hello world", "Hello world"),
    ("count", -42, -42, -42),
    ("amount", "12.50", "12.5", "12.5"),
    ("active", False, False, False),
    ("since", "2024-02-29", "2024-02-29", "2024-02-29"),
    ("seenAt", "2024-05-01T09:30:00+08:00", "2024-05-01T01:30:00.000000Z", "2024-05-01T01:30:00.000000Z"),
    ("mail", "Mei.Lin@Example.COM", "Mei.Lin@example.com", "Mei.Lin@example.com"),
    ("mobile", "138 0013 8000", "+8613800138000", "+8613800138000"),
    ("site", "https://Example.com/about", "https://example.com/about", "https://example.com/about"),
    ("tier", "SILVER", "SILVER", "SILVER"),
    ("hobbies", ["TRAVEL", "SPORTS", "TRAVEL"], ["SPORTS", "TRAVEL"], ["SPORTS", "TRAVEL"]),
]


@pytest.mark.parametrize(("key", "sent", "returned", "stored"), ROUND_TRIPS, ids=[r[0] for r in ROUND_TRIPS])
async def test_round_trip_typed_and_generic(tenant: Tenant, key: str, sent: Any, returned: Any, stored: Any) -> None:
    fields = await add_fields(tenant, key)
    expected_stored = fields.stored(key, stored)
    typed = await created(tenant, "Typed", custom={key: sent})
    generic_value = fields.stored(key, sent) if key == "tier" else sent  # the generic form may use the id
    generic = await created(tenant, "Generic", customFields={key: generic_value})
    for customer in (typed, generic):
        assert customer["customFields"] == {key: expected_stored}
        assert await custom_of(tenant, customer["id"], key) == {
            "custom": {key: returned},
            "customFields": {key: expected_stored},
        }
    # A customer without a value reads as null, and as no key in the generic form.
    empty = await created(tenant, "Empty")
    assert await custom_of(tenant, empty["id"], key) == {"custom": {key: None}, "customFields": {}}
    # The same value finds both customers through the typed filter.
    operand: Any = returned
    if key == "hobbies":
        found = await names(tenant, {"custom": {key: {"containsAll": operand}}})
    else:
        found = await names(tenant, {"custom": {key: {"eq": operand}}})
    assert sorted(found) == ["Generic", "Typed"]


async def test_all_types_together(tenant: Tenant) -> None:
    fields = await add_fields(tenant)
    values = {key: sent for key, sent, _, _ in ROUND_TRIPS}
    customer = await created(tenant, "Everything", custom=values)
    assert customer["customFields"] == {key: fields.stored(key, stored) for key, _, _, stored in ROUND_TRIPS}
    read = await custom_of(tenant, customer["id"], " ".join(FIELDS))
    assert read["custom"] == {key: returned for key, _, returned, _ in ROUND_TRIPS}


async def test_typed_and_generic_in_one_mutation(tenant: Tenant) -> None:
    await add_fields(tenant, "text", "count")
    customer = await created(tenant, "Both", custom={"text": "typed"}, customFields={"count": 7})
    assert customer["customFields"] == {"text": "typed", "count": 7}


# --- validation ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("text", "x" * 21, "TOO_LONG"),
        ("count", 1001, "TOO_LARGE"),
        ("count", -1001, "TOO_SMALL"),
        ("amount", "1.234", "INVALID"),
        ("amount", "NaN", "INVALID"),
        ("since", "1999-12-31", "TOO_SMALL"),
        ("mail", "not-an-email", "INVALID_EMAIL"),
        ("mobile", "12345", "INVALID_PHONE"),
        ("site", "ftp://example.com", "INVALID_URL"),
    ],
)
async def test_typed_value_refused_as_user_error(tenant: Tenant, key: str, value: Any, code: str) -> None:
    await add_fields(tenant, key)
    payload = await create(tenant, "Nope", custom={key: value})
    assert payload["customer"] is None
    assert errors(payload) == [(code, ["input", "custom", key])]
    assert await count(tenant) == 0


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("text", 5, "INVALID"),
        ("text", "x" * 21, "TOO_LONG"),
        ("count", "12", "INVALID"),
        ("count", 1.5, "INVALID"),
        ("count", 2**31, "TOO_LARGE"),
        ("amount", "twelve", "INVALID"),
        ("amount", "Infinity", "INVALID"),
        ("amount", True, "INVALID"),
        ("active", "yes", "INVALID"),
        ("active", 1, "INVALID"),
        ("since", "01/05/2024", "INVALID"),
        ("since", "2024-02-30", "INVALID"),
        ("seenAt", "2024-05-01T09:30:00", "INVALID"),
        ("seenAt", 1714550000, "INVALID"),
        ("mail", "a@", "INVALID_EMAIL"),
        ("mobile", "138 0013", "INVALID_PHONE"),
        ("site", "example.com", "INVALID_URL"),
        ("tier", "PLATINUM", "UNKNOWN_OPTION"),
        ("tier", "gold", "UNKNOWN_OPTION"),
        ("hobbies", "SPORTS", "INVALID"),
        ("hobbies", ["SPORTS", "CHESS"], "UNKNOWN_OPTION"),
    ],
)
async def test_generic_value_refused_as_user_error(tenant: Tenant, key: str, value: Any, code: str) -> None:
    await add_fields(tenant, key)
    payload = await create(tenant, "Nope", customFields={key: value})
    assert payload["customer"] is None
    assert errors(payload) == [(code, ["input", "customFields", key])]
    assert await count(tenant) == 0


async def test_typed_scalar_of_wrong_form_is_a_graphql_error(tenant: Tenant) -> None:
    await add_fields(tenant, "seenAt", "since", "tier")
    for custom in ({"seenAt": "2024-05-01T09:30:00"}, {"since": "2024-5-1"}, {"tier": "PLATINUM"}):
        body = await tenant.gql(CREATE, {"input": {"kind": "PERSON", "name": "Nope", "custom": custom}})
        assert body["errors"], custom
    assert await count(tenant) == 0


async def test_generic_input_problems(tenant: Tenant) -> None:
    await add_fields(tenant, "text", "count")
    unknown = await create(tenant, "Nope", customFields={"text": "ok", "shoeSize": 44})
    assert errors(unknown) == [("UNKNOWN_FIELD", ["input", "customFields", "shoeSize"])]
    both = await create(tenant, "Nope", custom={"text": "a"}, customFields={"text": "b"})
    assert errors(both) == [("INVALID", ["input", "customFields", "text"])]
    not_object = await create(tenant, "Nope", customFields=["text", "a"])
    assert errors(not_object) == [("INVALID", ["input", "customFields"])]
    assert await count(tenant) == 0


async def test_every_problem_is_reported_and_nothing_written(tenant: Tenant) -> None:
    await add_fields(tenant, "text", "count", "tier", "mail")
    payload = await create(
        tenant, "", custom={"text": "x" * 30, "count": 5000}, customFields={"tier": "NONE", "mail": "bad"}
    )
    assert sorted(errors(payload)) == sorted(
        [
            ("REQUIRED", ["input", "name"]),
            ("TOO_LONG", ["input", "custom", "text"]),
            ("TOO_LARGE", ["input", "custom", "count"]),
            ("UNKNOWN_OPTION", ["input", "customFields", "tier"]),
            ("INVALID_EMAIL", ["input", "customFields", "mail"]),
        ]
    )
    assert await count(tenant) == 0


async def test_failed_update_changes_nothing(tenant: Tenant) -> None:
    await add_fields(tenant, "text", "count")
    customer = await created(tenant, "Ada", custom={"text": "before", "count": 1})
    payload = await update(tenant, customer, custom={"text": "after", "count": 9999})
    assert payload["customer"] is None
    assert errors(payload) == [("TOO_LARGE", ["input", "custom", "count"])]
    after = await custom_of(tenant, customer["id"], "text count")
    assert after["customFields"] == {"text": "before", "count": 1}
    ok = await update(tenant, customer, custom={"text": "after"})
    assert ok["customer"]["version"] == customer["version"] + 1


# --- required and defaults ------------------------------------------------------------------------------------


async def test_required_field_missing_on_create(tenant: Tenant) -> None:
    await add_fields(
        tenant,
        "text",
        "tier",
        "hobbies",
        text={"required": True},
        tier={"required": True},
        hobbies={"required": True},
    )
    payload = await create(tenant, "Nope")
    assert sorted(errors(payload)) == [
        ("REQUIRED", ["input", "custom", "hobbies"]),
        ("REQUIRED", ["input", "custom", "text"]),
        ("REQUIRED", ["input", "custom", "tier"]),
    ]
    explicit = await create(tenant, "Nope", custom={"text": None, "tier": None, "hobbies": None})
    assert sorted(errors(explicit)) == [
        ("REQUIRED", ["input", "custom", "hobbies"]),
        ("REQUIRED", ["input", "custom", "text"]),
        ("REQUIRED", ["input", "custom", "tier"]),
    ]
    blank = await create(tenant, "Nope", custom={"text": "   ", "tier": "GOLD", "hobbies": []})
    assert sorted(errors(blank)) == [
        ("REQUIRED", ["input", "custom", "hobbies"]),
        ("REQUIRED", ["input", "custom", "text"]),
    ]
    generic = await create(tenant, "Nope", customFields={"text": "", "tier": "GOLD", "hobbies": ["MUSIC"]})
    assert errors(generic) == [("REQUIRED", ["input", "customFields", "text"])]
    assert await count(tenant) == 0
    ok = await created(tenant, "Ada", custom={"text": "t", "tier": "GOLD", "hobbies": ["MUSIC"]})
    assert set(ok["customFields"]) == {"text", "tier", "hobbies"}


async def test_default_applied_on_create(tenant: Tenant) -> None:
    fields = await add_fields(
        tenant,
        "text",
        "count",
        "tier",
        "hobbies",
        "active",
        text={"default": "n/a"},
        count={"default": 3},
        tier={"default": "BRONZE"},
        hobbies={"default": ["MUSIC", "SPORTS"]},
        active={"default": False},
    )
    defaults = {
        "text": "n/a",
        "count": 3,
        "tier": fields.options["tier"]["BRONZE"],
        "hobbies": [fields.options["hobbies"]["SPORTS"], fields.options["hobbies"]["MUSIC"]],
        "active": False,
    }
    plain = await created(tenant, "Plain")
    assert plain["customFields"] == defaults
    read = await custom_of(tenant, plain["id"], "text count tier hobbies active")
    assert read["custom"] == {
        "text": "n/a",
        "count": 3,
        "tier": "BRONZE",
        "hobbies": ["SPORTS", "MUSIC"],
        "active": False,
    }
    given = await created(tenant, "Given", custom={"count": 8, "tier": "GOLD"})
    assert given["customFields"] == {**defaults, "count": 8, "tier": fields.options["tier"]["GOLD"]}
    # An explicit null means "no value": the default is for omitted fields.
    cleared = await created(tenant, "Cleared", custom={"text": None})
    assert "text" not in cleared["customFields"]
    # Defaults apply on create only.
    updated = await update(tenant, plain, custom={"count": None})
    assert "count" not in updated["customer"]["customFields"]
    assert updated["customer"]["customFields"]["text"] == "n/a"


async def test_required_with_default_fills_omitted_value(tenant: Tenant) -> None:
    await add_fields(tenant, "tier", tier={"required": True, "default": "GOLD"})
    customer = await created(tenant, "Ada")
    assert (await custom_of(tenant, customer["id"], "tier"))["custom"] == {"tier": "GOLD"}
    refused = await update(tenant, customer, custom={"tier": None})
    assert errors(refused) == [("REQUIRED", ["input", "custom", "tier"])]


# --- update ---------------------------------------------------------------------------------------------------


async def test_update_sets_keeps_and_clears_values(tenant: Tenant) -> None:
    fields = await add_fields(tenant, "text", "count", "tier", "hobbies")
    customer = await created(tenant, "Ada", custom={"text": "hello", "count": 1, "tier": "GOLD", "hobbies": ["MUSIC"]})
    changed = await update(tenant, customer, custom={"count": 2, "tier": None}, customFields={"hobbies": []})
    assert changed["userErrors"] == []
    after = changed["customer"]
    assert after["version"] == customer["version"] + 1
    assert after["customFields"] == {"text": "hello", "count": 2}
    read = await custom_of(tenant, customer["id"], "text count tier hobbies")
    assert read["custom"] == {"text": "hello", "count": 2, "tier": None, "hobbies": None}
    assert await names(tenant, {"custom": {"tier": {"isNull": True}}}) == ["Ada"]
    assert await names(tenant, {"custom": {"hobbies": {"isEmpty": True}}}) == ["Ada"]

    cleared = await update(tenant, after, customFields={"text": None}, custom={"count": None})
    assert cleared["customer"]["customFields"] == {}
    # Setting a value back works, in the generic form too.
    back = await update(tenant, cleared["customer"], customFields={"tier": "SILVER"})
    assert back["customer"]["customFields"] == {"tier": fields.options["tier"]["SILVER"]}


async def test_update_without_custom_changes_keeps_version(tenant: Tenant) -> None:
    await add_fields(tenant, "count")
    customer = await created(tenant, "Ada", custom={"count": 1})
    same = await update(tenant, customer, custom={"count": 1})
    assert same["userErrors"] == []
    assert same["customer"]["version"] == customer["version"]
    stale = await update(tenant, {**customer, "version": customer["version"] + 5}, custom={"count": 2})
    assert errors(stale) == [("CONFLICT", ["expectedVersion"])]


# --- filtering ----------------------------------------------------------------------------------------------

# key: three values in ascending order (as sent), for customers A < B < C; customer N has no value.
ORDERED: dict[str, list[Any]] = {
    "text": ["alpha", "bravo", "charlie"],
    "count": [-20, 9, 10],  # text order would be "-20", "10", "9"
    "amount": ["9.5", "10", "100.25"],  # text order would be "10", "100.25", "9.5"
    "since": ["2023-12-31", "2024-01-01", "2024-02-01"],
    # Time order differs from the order of the texts sent.
    "seenAt": ["2024-05-01T09:00:00+08:00", "2024-05-01T02:00:00Z", "2024-04-30T23:30:00-05:00"],
    "mail": ["ann@example.com", "bob@example.com", "cat@example.org"],
    "mobile": ["+86 138 0013 8000", "+86 139 0013 8000", "+86 150 0013 8000"],
    "site": ["https://a.example.com/", "https://b.example.com/", "https://c.example.com/x"],
    "tier": ["GOLD", "SILVER", "BRONZE"],  # option order, not alphabetical
}


async def ordered_customers(tenant: Tenant, key: str) -> Fields:
    fields = await add_fields(tenant, key)
    for name, value in zip("ABC", ORDERED[key], strict=True):
        await created(tenant, name, custom={key: value})
    await created(tenant, "N")
    return fields


COMMON_FILTERS: list[tuple[str, Any, list[str]]] = [
    ("eq", 1, ["B"]),
    ("ne", 1, ["A", "C"]),  # no value is not "not equal"
    ("in", [0, 2], ["A", "C"]),
    ("in", [], []),
    ("isNull", True, ["N"]),
    ("isNull", False, ["A", "B", "C"]),
]
NO_IN = {"seenAt"}  # DateTimeFilter offers no `in`
RANGE_FILTERS: list[tuple[str, Any, list[str]]] = [
    ("lt", 1, ["A"]),
    ("lte", 1, ["A", "B"]),
    ("gt", 1, ["C"]),
    ("gte", 1, ["B", "C"]),
]
RANGED = ["count", "amount", "since", "seenAt"]


def operand(key: str, value: Any) -> Any:
    """Index placeholders in COMMON/RANGE filters stand for the ORDERED value at that index."""
    if isinstance(value, bool):
        return value
    if isinstance(value, list):
        return [ORDERED[key][i] for i in value]
    return ORDERED[key][value]


@pytest.mark.parametrize("key", list(ORDERED))
async def test_filter_operators(tenant: Tenant, key: str) -> None:
    await ordered_customers(tenant, key)
    cases = COMMON_FILTERS + (RANGE_FILTERS if key in RANGED else [])
    for op, value, expected in cases:
        if op == "in" and key in NO_IN:
            continue
        found = await names(tenant, {"custom": {key: {op: operand(key, value)}}})
        assert sorted(found) == expected, (op, value)
    if key in RANGED:
        between = await names(tenant, {"custom": {key: {"gt": ORDERED[key][0], "lte": ORDERED[key][2]}}})
        assert sorted(between) == ["B", "C"]


async def test_range_filters_compare_values_not_texts(tenant: Tenant) -> None:
    await ordered_customers(tenant, "amount")
    assert await names(tenant, {"custom": {"amount": {"gt": "9.99"}}}, [{"field": "NAME"}]) == ["B", "C"]
    assert await names(tenant, {"custom": {"amount": {"lt": "10.00"}}}) == ["A"]
    assert await names(tenant, {"custom": {"amount": {"eq": "10.00"}}}) == ["B"]
    assert sorted(await names(tenant, {"custom": {"amount": {"in": ["9.50", "1E+1"]}}})) == ["A", "B"]


@pytest.mark.parametrize("op", ["eq", "lt", "gte", "in"])
async def test_decimal_operand_beyond_numeric_is_bad_input(tenant: Tenant, op: str) -> None:
    await ordered_customers(tenant, "amount")
    huge = "1E+1000000"
    body = await tenant.gql(LIST, {"filter": {"custom": {"amount": {op: [huge] if op == "in" else huge}}}})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_datetime_filters_compare_instants(tenant: Tenant) -> None:
    await ordered_customers(tenant, "seenAt")
    # 2024-05-01T10:00:00+08:00 is 02:00Z: B exactly.
    assert await names(tenant, {"custom": {"seenAt": {"eq": "2024-05-01T10:00:00+08:00"}}}) == ["B"]
    assert await names(tenant, {"custom": {"seenAt": {"lt": "2024-05-01T03:00:00+01:00"}}}) == ["A"]


@pytest.mark.parametrize(
    ("key", "op", "value", "expected"),
    [
        ("text", "eq", "  bravo ", ["B"]),
        ("text", "ne", " bravo", ["A", "C"]),
        ("text", "contains", "RAV", ["B"]),
        ("text", "contains", "a", ["A", "B", "C"]),
        ("text", "startsWith", "CH", ["C"]),
        ("text", "contains", "%", []),
        ("text", "startsWith", "_", []),
        ("mail", "eq", "BOB@EXAMPLE.COM", []),  # the local part keeps its case
        ("mail", "eq", "bob@EXAMPLE.com", ["B"]),  # the domain does not
        ("mail", "ne", "bob@EXAMPLE.com", ["A", "C"]),
        ("mail", "contains", "EXAMPLE.COM", ["A", "B"]),
        ("mail", "startsWith", "ca", ["C"]),
        ("mobile", "eq", "139 0013 8000", ["B"]),  # canonicalised with the field's default region
        ("mobile", "ne", "+86-139-0013-8000", ["A", "C"]),
        ("mobile", "in", ["13800138000", "+8615000138000"], ["A", "C"]),
        ("mobile", "contains", "139", ["B"]),
        ("mobile", "startsWith", "+86", ["A", "B", "C"]),
        ("site", "eq", "https://B.EXAMPLE.com", ["B"]),
        ("site", "ne", "https://B.EXAMPLE.com", ["A", "C"]),
        ("site", "contains", "/x", ["C"]),
        ("site", "startsWith", "https://a.", ["A"]),
    ],
)
async def test_text_filters(tenant: Tenant, key: str, op: str, value: Any, expected: list[str]) -> None:
    await ordered_customers(tenant, key)
    assert sorted(await names(tenant, {"custom": {key: {op: value}}})) == expected


async def test_boolean_filters(tenant: Tenant) -> None:
    await add_fields(tenant, "active")
    await created(tenant, "Yes", custom={"active": True})
    await created(tenant, "No", custom={"active": False})
    await created(tenant, "Unknown")
    assert await names(tenant, {"custom": {"active": {"eq": True}}}) == ["Yes"]
    assert await names(tenant, {"custom": {"active": {"eq": False}}}) == ["No"]
    assert await names(tenant, {"custom": {"active": {"isNull": True}}}) == ["Unknown"]
    assert sorted(await names(tenant, {"custom": {"active": {"isNull": False}}})) == ["No", "Yes"]


async def test_multi_select_filters(tenant: Tenant) -> None:
    await add_fields(tenant, "hobbies")
    await created(tenant, "Sporty", custom={"hobbies": ["SPORTS"]})
    await created(tenant, "Both", custom={"hobbies": ["MUSIC", "SPORTS"]})
    await created(tenant, "Traveller", custom={"hobbies": ["TRAVEL"]})
    await created(tenant, "None")
    await created(tenant, "Cleared", custom={"hobbies": []})

    async def found(condition: dict[str, Any]) -> list[str]:
        return sorted(await names(tenant, {"custom": {"hobbies": condition}}))

    assert await found({"containsAny": ["SPORTS"]}) == ["Both", "Sporty"]
    assert await found({"containsAny": ["MUSIC", "TRAVEL"]}) == ["Both", "Traveller"]
    assert await found({"containsAny": []}) == []
    assert await found({"containsAll": ["SPORTS", "MUSIC"]}) == ["Both"]
    assert await found({"containsAll": ["SPORTS"]}) == ["Both", "Sporty"]
    assert await found({"containsAll": ["SPORTS", "TRAVEL"]}) == []
    assert await found({"isEmpty": True}) == ["Cleared", "None"]
    assert await found({"isEmpty": False}) == ["Both", "Sporty", "Traveller"]
    assert await found({"containsAny": ["SPORTS"], "isEmpty": False}) == ["Both", "Sporty"]


async def test_select_filters_use_the_enum(tenant: Tenant) -> None:
    await ordered_customers(tenant, "tier")
    assert await names(tenant, {"custom": {"tier": {"eq": "SILVER"}}}) == ["B"]
    body = await tenant.gql(LIST, {"filter": {"custom": {"tier": {"eq": "PLATINUM"}}}})
    assert body["errors"]


async def test_and_or_not_with_custom_filters(tenant: Tenant) -> None:
    await add_fields(tenant, "count", "tier")
    await created(tenant, "Gold1", custom={"count": 1, "tier": "GOLD"})
    await created(tenant, "Gold5", custom={"count": 5, "tier": "GOLD"})
    await created(tenant, "Silver5", custom={"count": 5, "tier": "SILVER"})
    await created(tenant, "Bronze9", custom={"count": 9, "tier": "BRONZE"})
    await created(tenant, "Nothing")

    async def found(filter_: dict[str, Any]) -> list[str]:
        return sorted(await names(tenant, filter_))

    gold = {"custom": {"tier": {"eq": "GOLD"}}}
    five = {"custom": {"count": {"eq": 5}}}
    assert await found({"and": [gold, five]}) == ["Gold5"]
    assert await found({"custom": {"tier": {"eq": "GOLD"}, "count": {"eq": 5}}}) == ["Gold5"]
    assert await found({"or": [gold, five]}) == ["Gold1", "Gold5", "Silver5"]
    # As on core fields, `not` follows SQL: a customer without a tier is neither gold nor "not gold", like
    # `ne`; `isNull` finds it.
    assert await found({"not": gold}) == ["Bronze9", "Silver5"]
    assert await found({"custom": {"tier": {"ne": "GOLD"}}}) == ["Bronze9", "Silver5"]
    assert await found({"not": {"or": [gold, five]}}) == ["Bronze9"]
    assert await found({"or": [{"not": gold}, {"custom": {"tier": {"isNull": True}}}]}) == [
        "Bronze9",
        "Nothing",
        "Silver5",
    ]
    assert await found(
        {"or": [{"and": [gold, {"custom": {"count": {"gt": 2}}}]}, {"custom": {"tier": {"eq": "BRONZE"}}}]}
    ) == ["Bronze9", "Gold5"]
    assert await found({"and": [{"or": [gold, five]}, {"not": {"custom": {"tier": {"eq": "SILVER"}}}}]}) == [
        "Gold1",
        "Gold5",
    ]
    assert await found({"or": []}) == []
    assert await found({"and": []}) == ["Bronze9", "Gold1", "Gold5", "Nothing", "Silver5"]
    # Custom and core conditions combine.
    assert await found({"name": {"startsWith": "gold"}, "custom": {"count": {"gte": 5}}}) == ["Gold5"]
    data = await tenant.data(LIST, {"filter": {"or": [gold, five]}})
    assert data["customers"]["totalCount"] == 3


async def test_values_beyond_tightened_constraints_stay_findable(tenant: Tenant) -> None:
    fields = await add_fields(tenant, "count", "text")
    await created(tenant, "Big", custom={"count": 500, "text": "a long enough text"})
    await created(tenant, "Small", custom={"count": 5, "text": "short"})
    tightened = await tenant.data(UPDATE_FIELD, {"id": fields.ids["count"], "input": {"max": 100}})
    assert tightened["customFieldUpdate"]["userErrors"] == []
    await tenant.mutate(UPDATE_FIELD, {"id": fields.ids["text"], "input": {"maxLength": 5}})
    assert await names(tenant, {"custom": {"count": {"eq": 500}}}) == ["Big"]
    assert sorted(await names(tenant, {"custom": {"count": {"in": [500, 5]}}})) == ["Big", "Small"]
    assert await names(tenant, {"custom": {"count": {"ne": 500}}}) == ["Small"]
    assert await names(tenant, {"custom": {"text": {"eq": "a long enough text"}}}) == ["Big"]
    # New values must fit.
    refused = await create(tenant, "Bigger", custom={"count": 101})
    assert errors(refused) == [("TOO_LARGE", ["input", "custom", "count"])]


async def test_filter_operand_of_impossible_form_is_a_bad_input_error(tenant: Tenant) -> None:
    await add_fields(tenant, "mail", "since")
    await created(tenant, "Ada", custom={"mail": "ada@example.com"})
    body = await tenant.gql(LIST, {"filter": {"custom": {"mail": {"eq": "not an email"}}}})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "mail" in error["message"]


async def test_archived_field_cannot_be_filtered(tenant: Tenant) -> None:
    fields = await add_fields(tenant, "count", "text")
    await created(tenant, "Ada", custom={"count": 1})
    archive = "mutation($id: ID!) { customFieldArchive(id: $id) { customField { id } userErrors { code } } }"
    await tenant.mutate(archive, {"id": fields.ids["count"]})
    body = await tenant.gql(LIST, {"filter": {"custom": {"count": {"eq": 1}}}})
    assert body["errors"]
    body = await tenant.gql(LIST, {"order": [{"custom": "COUNT"}]})
    assert body["errors"]


# --- sorting ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [*ORDERED, "active"])
async def test_sort_by_custom_field(tenant: Tenant, key: str) -> None:
    if key == "active":
        await add_fields(tenant, "active")
        await created(tenant, "B", custom={"active": True})
        await created(tenant, "A", custom={"active": False})
        await created(tenant, "N")
        ascending = ["A", "B", "N"]
    else:
        await ordered_customers(tenant, key)
        ascending = ["A", "B", "C", "N"]  # no value sorts as the largest value
    sort = SORT_NAMES[key]
    assert await names(tenant, order=[{"custom": sort}]) == ascending
    assert await names(tenant, order=[{"custom": sort, "direction": "ASC"}]) == ascending
    assert await names(tenant, order=[{"custom": sort, "direction": "DESC"}]) == ascending[::-1]


async def test_sort_by_several_keys(tenant: Tenant) -> None:
    await add_fields(tenant, "tier", "count")
    rows = [
        ("g1", "GOLD", 1),
        ("g9", "GOLD", 9),
        ("gn", "GOLD", None),
        ("s5", "SILVER", 5),
        ("n3", None, 3),
        ("n7", None, 7),
    ]
    for name, tier, value in rows:
        custom = {k: v for k, v in (("tier", tier), ("count", value)) if v is not None}
        await created(tenant, name, custom=custom)
    order = [{"custom": "TIER"}, {"custom": "COUNT", "direction": "DESC"}]
    assert await names(tenant, order=order) == ["gn", "g9", "g1", "s5", "n7", "n3"]
    order = [{"custom": "COUNT"}, {"field": "NAME", "direction": "DESC"}]
    assert await names(tenant, order=order) == ["g1", "n3", "s5", "n7", "g9", "gn"]


async def test_multi_select_is_not_sortable(tenant: Tenant) -> None:
    await add_fields(tenant, "hobbies", "count")
    values = await tenant.data('{ __type(name: "CustomerCustomOrderField") { enumValues { name } } }')
    assert [v["name"] for v in values["__type"]["enumValues"]] == ["COUNT"]
    body = await tenant.gql(LIST, {"order": [{"custom": "HOBBIES"}]})
    assert body["errors"]


# --- keyset pagination with custom sorts -------------------------------------------------------------------


async def all_pages(
    tenant: Tenant, order: list[dict[str, Any]], filter_: dict[str, Any] | None = None, size: int = 2
) -> list[str]:
    seen: list[str] = []
    after = None
    for _ in range(50):
        data = await tenant.data(LIST, {"order": order, "filter": filter_, "first": size, "after": after})
        page = data["customers"]
        seen += [n["name"] for n in page["nodes"]]
        assert len(page["nodes"]) <= size
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        assert len(page["nodes"]) == size
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("pagination did not end")


PAGED: dict[str, list[Any]] = {
    "count": [5, None, -3, 5, 12, None, 5, 0, 1000],
    "amount": ["1.5", "10", None, "1.50", "-2", "100", None, "0.01"],
    "text": ["pear", "apple", None, "fig", "apple", "kiwi", None, "date"],
    "tier": ["SILVER", None, "GOLD", "BRONZE", "GOLD", None, "SILVER", "GOLD"],
    "seenAt": [
        "2024-05-01T09:00:00+08:00",
        None,
        "2024-05-01T01:00:00Z",
        "2023-01-01T00:00:00Z",
        "2024-05-01T02:00:00+01:00",
        None,
        "2030-12-31T23:59:59.999999Z",
    ],
    "since": ["2024-01-01", None, "2023-06-30", "2024-01-01", "2025-02-28", None],
    "active": [True, None, False, True, None, False, True],
}


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("key", list(PAGED))
async def test_keyset_pagination_with_custom_sort(tenant: Tenant, key: str, direction: str) -> None:
    await add_fields(tenant, key)
    for i, value in enumerate(PAGED[key]):
        await created(tenant, f"c{i}", custom={} if value is None else {key: value})
    order = [{"custom": SORT_NAMES[key], "direction": direction}]
    everything = await names(tenant, order=order)
    assert sorted(everything) == sorted(f"c{i}" for i in range(len(PAGED[key])))
    for size in (1, 2, 3):
        paged = await all_pages(tenant, order, size=size)
        assert paged == everything, size  # same order, no duplicates, no gaps
    # Nulls are the largest value: last ascending, first descending.
    nulls = {f"c{i}" for i, v in enumerate(PAGED[key]) if v is None}
    count_nulls = len(nulls)
    edge = everything[-count_nulls:] if direction == "ASC" else everything[:count_nulls]
    assert set(edge) == nulls


async def test_keyset_pagination_with_filter_and_two_custom_keys(tenant: Tenant) -> None:
    await add_fields(tenant, "tier", "count")
    expected = []
    for i in range(11):
        tier = ["GOLD", "SILVER", None][i % 3]
        custom: dict[str, Any] = {"count": i % 4}
        if tier:
            custom["tier"] = tier
        await created(tenant, f"c{i:02d}", custom=custom)
        if i % 4 != 0:
            expected.append((["GOLD", "SILVER", None].index(tier), -(i % 4), f"c{i:02d}"))
    order = [{"custom": "TIER"}, {"custom": "COUNT", "direction": "DESC"}]
    filter_ = {"custom": {"count": {"gt": 0}}}
    everything = await names(tenant, filter_, order)
    assert len(everything) == len(expected)
    # Ties (same tier and count) break by id, i.e. creation order for these time-ordered ids.
    assert everything == [name for *_, name in sorted(expected)]
    assert await all_pages(tenant, order, filter_, size=2) == everything


async def test_cursor_from_another_ordering_is_refused(tenant: Tenant) -> None:
    await add_fields(tenant, "count", "text")
    for i in range(3):
        await created(tenant, f"c{i}", custom={"count": i, "text": f"t{i}"})
    first = await tenant.data(LIST, {"order": [{"custom": "COUNT"}], "first": 1})
    cursor = first["customers"]["pageInfo"]["endCursor"]
    body = await tenant.gql(LIST, {"order": [{"custom": "TEXT"}], "first": 1, "after": cursor})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
