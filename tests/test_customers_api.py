"""Customers over the API: create, read, update, delete, validation, optimistic versions, concurrency,
filters, ordering with keyset pagination, and roles."""

from __future__ import annotations

import asyncio
import datetime as dt
from contextlib import nullcontext
from typing import Any

import pytest

from tests.conftest import App, Tenant, resolver_path

FIELDS = """
    id kind name gender birthday occupation email phone
    address { country region city street postalCode }
    sourceChannel preferredChannel tags owner { id name } version createdAt updatedAt
"""

CREATE = f"""
mutation ($input: CustomerCreateInput!) {{
  customerCreate(input: $input) {{ customer {{ {FIELDS} }} userErrors {{ code field message }} }}
}}
"""

UPDATE = f"""
mutation ($id: ID!, $input: CustomerUpdateInput!, $v: Int!) {{
  customerUpdate(id: $id, input: $input, expectedVersion: $v) {{
    customer {{ {FIELDS} }} userErrors {{ code field message }}
  }}
}}
"""

DELETE = """
mutation ($id: ID!, $v: Int) {
  customerDelete(id: $id, expectedVersion: $v) { deletedId userErrors { code field message } }
}
"""

NODE = f"query ($id: ID!) {{ node(id: $id) {{ __typename ... on Customer {{ {FIELDS} }} }} }}"
COUNT = "{ customers(first: 1) { totalCount } }"

FULL_INPUT: dict[str, Any] = {
    "kind": "PERSON",
    "name": "  Li Wei  ",
    "gender": "MALE",
    "birthday": "1988-04-12",
    "occupation": "Architect",
    "email": "  Li.Wei@EXAMPLE.COM ",
    "phone": "+86 138 0013 8000",
    "address": {
        "country": "cn",
        "region": "Shanghai",
        "city": "Shanghai",
        "street": "1 Century Ave",
        "postalCode": "200120",
    },
    "sourceChannel": "referral",
    "preferredChannel": "wechat",
    "tags": [" vip ", "vip", "b2c", "", "  ", "b2c", "Vip"],
}


async def owner_id(tenant: Tenant) -> str:
    data = await tenant.data("{ users(first: 5, filter: {role: {eq: OWNER}}) { nodes { id name } } }")
    (user,) = data["users"]["nodes"]
    value: str = user["id"]
    return value


async def create(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    payload = await tenant.mutate(CREATE, {"input": {"kind": "PERSON", "name": "Someone", **fields}})
    customer: dict[str, Any] = payload["customer"]
    return customer


async def create_errors(tenant: Tenant, input_: dict[str, Any]) -> list[dict[str, Any]]:
    data = await tenant.data(CREATE, {"input": input_})
    payload = data["customerCreate"]
    assert payload["customer"] is None
    errors: list[dict[str, Any]] = payload["userErrors"]
    assert errors
    return errors


async def update(tenant: Tenant, id_: str, version: int, **fields: Any) -> dict[str, Any]:
    data = await tenant.data(UPDATE, {"id": id_, "input": fields, "v": version})
    payload: dict[str, Any] = data["customerUpdate"]
    return payload


async def node(tenant: Tenant, id_: str) -> dict[str, Any] | None:
    data = await tenant.data(NODE, {"id": id_})
    value: dict[str, Any] | None = data["node"]
    return value


async def count(tenant: Tenant) -> int:
    value: int = (await tenant.data(COUNT))["customers"]["totalCount"]
    return value


def codes(errors: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["field"]) for e in errors]


# --- create and read ----------------------------------------------------------------------------------------


async def test_create_with_every_core_field_and_read_back(tenant: Tenant) -> None:
    owner = await owner_id(tenant)
    customer = await create(tenant, **{**FULL_INPUT, "ownerId": owner})
    expected = {
        "kind": "PERSON",
        "name": "Li Wei",
        "gender": "MALE",
        "birthday": "1988-04-12",
        "occupation": "Architect",
        "email": "Li.Wei@example.com",
        "phone": "+8613800138000",
        "address": {
            "country": "CN",
            "region": "Shanghai",
            "city": "Shanghai",
            "street": "1 Century Ave",
            "postalCode": "200120",
        },
        "sourceChannel": "referral",
        "preferredChannel": "wechat",
        "tags": ["vip", "b2c", "Vip"],
        "owner": {"id": owner, "name": "Tenant A owner"},
        "version": 1,
    }
    assert {k: customer[k] for k in expected} == expected
    assert customer["createdAt"] == customer["updatedAt"]
    created = dt.datetime.fromisoformat(customer["createdAt"])
    assert abs(dt.datetime.now(dt.UTC) - created) < dt.timedelta(minutes=1)

    assert await node(tenant, customer["id"]) == {"__typename": "Customer", **customer}
    listed = await tenant.data(
        f"{{ customers(first: 10) {{ totalCount nodes {{ {FIELDS} }} edges {{ cursor node {{ id }} }} }} }}"
    )
    assert listed["customers"]["totalCount"] == 1
    assert listed["customers"]["nodes"] == [customer]
    assert listed["customers"]["edges"][0]["node"] == {"id": customer["id"]}


async def test_create_with_only_required_fields_has_empty_defaults(tenant: Tenant) -> None:
    customer = await create(tenant, kind="COMPANY", name="Acme")
    assert customer["tags"] == []
    for field in (
        "gender",
        "birthday",
        "occupation",
        "email",
        "phone",
        "address",
        "sourceChannel",
        "preferredChannel",
        "owner",
    ):
        assert customer[field] is None, field


async def test_partial_address_keeps_only_given_parts(tenant: Tenant) -> None:
    customer = await create(tenant, address={"city": "  Berlin ", "country": "DE", "street": ""})
    assert customer["address"] == {
        "country": "DE",
        "region": None,
        "city": "Berlin",
        "street": None,
        "postalCode": None,
    }


async def test_other_tenant_cannot_see_the_customer(tenant: Tenant, other_tenant: Tenant) -> None:
    customer = await create(tenant, name="Secret")
    assert await node(other_tenant, customer["id"]) is None
    assert await count(other_tenant) == 0


# --- validation ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "code", "path"),
    [
        ({"email": "not-an-email"}, "INVALID_EMAIL", ["input", "email"]),
        ({"email": "a@b@c.com"}, "INVALID_EMAIL", ["input", "email"]),
        ({"email": "x" * 250 + "@example.com"}, "INVALID_EMAIL", ["input", "email"]),
        ({"phone": "12345"}, "INVALID_PHONE", ["input", "phone"]),
        ({"phone": "138 0013 8000"}, "INVALID_PHONE", ["input", "phone"]),  # no country code
        ({"phone": "+86 138"}, "INVALID_PHONE", ["input", "phone"]),
        ({"phone": "call me"}, "INVALID_PHONE", ["input", "phone"]),
        ({"address": {"country": "XX"}}, "INVALID", ["input", "address", "country"]),
        ({"address": {"country": "CHN"}}, "INVALID", ["input", "address", "country"]),
        ({"address": {"country": "CN", "postalCode": "1" * 21}}, "TOO_LONG", ["input", "address", "postalCode"]),
        ({"name": ""}, "REQUIRED", ["input", "name"]),
        ({"name": "   "}, "REQUIRED", ["input", "name"]),
        ({"name": "x" * 201}, "TOO_LONG", ["input", "name"]),
        ({"name": "a\u0000b"}, "INVALID", ["input", "name"]),
        ({"birthday": (dt.date.today() + dt.timedelta(days=2)).isoformat()}, "TOO_LARGE", ["input", "birthday"]),
        ({"birthday": "1899-12-31"}, "TOO_SMALL", ["input", "birthday"]),
        ({"tags": [f"t{i}" for i in range(51)]}, "TOO_LONG", ["input", "tags"]),
        ({"tags": ["x" * 51]}, "TOO_LONG", ["input", "tags"]),
        ({"occupation": "x" * 201}, "TOO_LONG", ["input", "occupation"]),
        ({"sourceChannel": "x" * 51}, "TOO_LONG", ["input", "sourceChannel"]),
        ({"ownerId": "not-an-id"}, "NOT_FOUND", ["input", "ownerId"]),
    ],
)
async def test_invalid_input_is_a_user_error_and_writes_nothing(
    tenant: Tenant, fields: dict[str, Any], code: str, path: list[str]
) -> None:
    errors = await create_errors(tenant, {"kind": "PERSON", "name": "Valid Name", **fields})
    assert codes(errors) == [(code, path)]
    assert errors[0]["message"]
    assert await count(tenant) == 0


async def test_fifty_tags_after_deduplication_are_allowed(tenant: Tenant) -> None:
    tags = [f"t{i}" for i in range(50)]
    customer = await create(tenant, tags=[*tags, *tags, " t0 "])
    assert customer["tags"] == tags


async def test_owner_of_another_tenant_is_not_found(tenant: Tenant, other_tenant: Tenant) -> None:
    foreign = await owner_id(other_tenant)
    errors = await create_errors(tenant, {"kind": "PERSON", "name": "X", "ownerId": foreign})
    assert codes(errors) == [("NOT_FOUND", ["input", "ownerId"])]
    assert await count(tenant) == 0


async def test_owner_id_of_the_wrong_type_is_not_found(tenant: Tenant) -> None:
    customer = await create(tenant, name="Not a user")
    errors = await create_errors(tenant, {"kind": "PERSON", "name": "X", "ownerId": customer["id"]})
    assert codes(errors) == [("NOT_FOUND", ["input", "ownerId"])]
    assert await count(tenant) == 1


async def test_every_problem_is_reported_at_once(tenant: Tenant, other_tenant: Tenant) -> None:
    errors = await create_errors(
        tenant,
        {
            "kind": "PERSON",
            "name": " ",
            "email": "nope",
            "phone": "nope",
            "address": {"country": "ZZ"},
            "birthday": "2999-01-01",
            "tags": [str(i) for i in range(60)],
            "ownerId": await owner_id(other_tenant),
        },
    )
    assert sorted(codes(errors)) == sorted(
        [
            ("REQUIRED", ["input", "name"]),
            ("INVALID_EMAIL", ["input", "email"]),
            ("INVALID_PHONE", ["input", "phone"]),
            ("INVALID", ["input", "address", "country"]),
            ("TOO_LARGE", ["input", "birthday"]),
            ("TOO_LONG", ["input", "tags"]),
            ("NOT_FOUND", ["input", "ownerId"]),
        ]
    )
    assert await count(tenant) == 0


async def test_missing_required_fields_are_graphql_errors(tenant: Tenant) -> None:
    body = await tenant.gql('mutation { customerCreate(input: {name: "No kind"}) { customer { id } } }')
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    body = await tenant.gql(CREATE, {"input": {"kind": "ALIEN", "name": "X"}})
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    body = await tenant.gql(CREATE, {"input": {"kind": "PERSON", "name": "X", "birthday": "12/04/1988"}})
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert await count(tenant) == 0


# --- update -------------------------------------------------------------------------------------------------


async def test_update_changes_fields_and_bumps_version(tenant: Tenant) -> None:
    customer = await create(tenant, **FULL_INPUT)
    await asyncio.sleep(0.01)
    payload = await update(
        tenant,
        customer["id"],
        1,
        name="Li Wei Jr.",
        email="new@Example.org",
        tags=["a", "a", "b"],
        preferredChannel="email",
        address={"country": "DE", "city": "Bonn"},
    )
    assert payload["userErrors"] == []
    updated = payload["customer"]
    assert updated["version"] == 2
    assert updated["name"] == "Li Wei Jr."
    assert updated["email"] == "new@example.org"
    assert updated["tags"] == ["a", "b"]
    assert updated["preferredChannel"] == "email"
    # The address is replaced as a whole.
    assert updated["address"] == {"country": "DE", "region": None, "city": "Bonn", "street": None, "postalCode": None}
    assert updated["createdAt"] == customer["createdAt"]
    assert updated["updatedAt"] > customer["updatedAt"]
    # Omitted fields are unchanged.
    for field in ("kind", "gender", "birthday", "occupation", "phone", "sourceChannel"):
        assert updated[field] == customer[field], field
    assert await node(tenant, customer["id"]) == {"__typename": "Customer", **updated}


async def test_stale_version_is_a_conflict_and_changes_nothing(tenant: Tenant) -> None:
    customer = await create(tenant, name="Original")
    first = await update(tenant, customer["id"], 1, name="First")
    assert first["userErrors"] == []
    assert first["customer"]["version"] == 2
    stale = await update(tenant, customer["id"], 1, name="Second", email="x@example.com")
    assert stale["customer"] is None
    assert codes(stale["userErrors"]) == [("CONFLICT", ["expectedVersion"])]
    assert "current version is 2" in stale["userErrors"][0]["message"]
    future = await update(tenant, customer["id"], 3, name="Third")
    assert codes(future["userErrors"]) == [("CONFLICT", ["expectedVersion"])]
    now = await node(tenant, customer["id"])
    assert now is not None
    assert (now["name"], now["email"], now["version"]) == ("First", None, 2)


async def test_null_clears_nullable_fields(tenant: Tenant) -> None:
    customer = await create(tenant, **{**FULL_INPUT, "ownerId": await owner_id(tenant)})
    nullable = ("gender", "birthday", "occupation", "email", "phone", "address", "sourceChannel", "preferredChannel")
    cleared = dict.fromkeys((*nullable, "ownerId"))
    payload = await update(tenant, customer["id"], 1, **cleared, tags=[])
    assert payload["userErrors"] == []
    updated = payload["customer"]
    for field in (
        "gender",
        "birthday",
        "occupation",
        "email",
        "phone",
        "address",
        "sourceChannel",
        "preferredChannel",
        "owner",
    ):
        assert updated[field] is None, field
    assert updated["tags"] == []
    assert (updated["name"], updated["kind"], updated["version"]) == ("Li Wei", "PERSON", 2)


@pytest.mark.parametrize("field", ["name", "kind", "tags"])
async def test_null_on_a_required_field_is_required(tenant: Tenant, field: str) -> None:
    customer = await create(tenant, name="Keep", tags=["x"])
    payload = await update(tenant, customer["id"], 1, **{field: None})
    assert payload["customer"] is None
    assert codes(payload["userErrors"]) == [("REQUIRED", ["input", field])]
    now = await node(tenant, customer["id"])
    assert now is not None
    assert (now["name"], now["kind"], now["tags"], now["version"]) == ("Keep", "PERSON", ["x"], 1)


async def test_invalid_update_writes_nothing(tenant: Tenant) -> None:
    customer = await create(tenant, name="Keep", email="keep@example.com")
    payload = await update(tenant, customer["id"], 1, name="Changed", email="broken")
    assert codes(payload["userErrors"]) == [("INVALID_EMAIL", ["input", "email"])]
    now = await node(tenant, customer["id"])
    assert now is not None
    assert (now["name"], now["email"], now["version"]) == ("Keep", "keep@example.com", 1)


async def test_update_that_changes_nothing_keeps_the_version(tenant: Tenant) -> None:
    customer = await create(tenant, **FULL_INPUT)
    payload = await update(
        tenant,
        customer["id"],
        1,
        name=" Li Wei ",
        email="LI.Wei@example.com".replace("LI", "Li"),
        phone="+8613800138000",
        tags=["vip", "b2c", "Vip", "vip"],
        address={
            "country": "CN",
            "region": "Shanghai",
            "city": "Shanghai",
            "street": "1 Century Ave",
            "postalCode": "200120",
        },
    )
    assert payload["userErrors"] == []
    assert payload["customer"] == customer
    empty = await update(tenant, customer["id"], 1)
    assert empty["userErrors"] == []
    assert empty["customer"]["version"] == 1
    assert await node(tenant, customer["id"]) == {"__typename": "Customer", **customer}


async def test_update_of_unknown_or_foreign_customer_is_not_found(tenant: Tenant, other_tenant: Tenant) -> None:
    foreign = await create(other_tenant, name="Theirs")
    for id_ in (foreign["id"], "bogus", await owner_id(tenant)):
        payload = await update(tenant, id_, 1, name="Mine now")
        assert codes(payload["userErrors"]) == [("NOT_FOUND", ["id"])], id_
    assert (await node(other_tenant, foreign["id"]) or {})["name"] == "Theirs"


async def test_update_owner_to_another_tenants_user_is_not_found(tenant: Tenant, other_tenant: Tenant) -> None:
    customer = await create(tenant, ownerId=await owner_id(tenant))
    payload = await update(tenant, customer["id"], 1, ownerId=await owner_id(other_tenant))
    assert codes(payload["userErrors"]) == [("NOT_FOUND", ["input", "ownerId"])]


async def test_concurrent_updates_with_the_same_version_have_one_winner(tenant: Tenant) -> None:
    customer = await create(tenant, name="Contended")
    names = [f"Writer {i:02d}" for i in range(20)]
    responses = await asyncio.gather(
        *(tenant.post(UPDATE, {"id": customer["id"], "input": {"name": name}, "v": 1}) for name in names)
    )
    winners, losers = [], []
    for name, response in zip(names, responses, strict=True):
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        payload = body["data"]["customerUpdate"]
        if payload["userErrors"]:
            assert codes(payload["userErrors"]) == [("CONFLICT", ["expectedVersion"])]
            assert "current version is 2" in payload["userErrors"][0]["message"]
            assert payload["customer"] is None
            losers.append(name)
        else:
            assert payload["customer"]["version"] == 2
            winners.append(name)
    assert len(winners) == 1
    assert len(losers) == 19
    now = await node(tenant, customer["id"])
    assert now is not None
    assert (now["name"], now["version"]) == (winners[0], 2)


# --- delete -------------------------------------------------------------------------------------------------


async def test_delete_is_soft_and_hides_the_customer_everywhere(tenant: Tenant) -> None:
    doomed = await create(tenant, kind="COMPANY", name="Doomed Inc", tags=["gone"], email="d@example.com")
    kept = await create(tenant, kind="COMPANY", name="Kept Inc", tags=["gone"])
    contact = await tenant.mutate(
        'mutation ($c: ID!) { contactCreate(input: {customerId: $c, name: "Worker"}) { contact { id } '
        "userErrors { code } } }",
        {"c": doomed["id"]},
    )
    contact_id = contact["contact"]["id"]

    data = await tenant.data(DELETE, {"id": doomed["id"], "v": 1})
    assert data["customerDelete"] == {"deletedId": doomed["id"], "userErrors": []}

    assert await node(tenant, doomed["id"]) is None
    assert (await tenant.data("query ($id: ID!) { node(id: $id) { id } }", {"id": contact_id}))["node"] is None
    listed = await tenant.data(
        "{ customers(first: 10) { totalCount nodes { id } } "
        'tagged: customers(first: 10, filter: {tags: {containsAny: ["gone"]}}) { totalCount nodes { id } } '
        'named: customers(first: 10, filter: {name: {startsWith: "doomed"}}) { totalCount } '
        'mailed: customers(first: 10, filter: {email: {eq: "d@example.com"}}) { totalCount } '
        "contacts(first: 10) { totalCount nodes { id } } }"
    )
    assert listed["customers"] == {"totalCount": 1, "nodes": [{"id": kept["id"]}]}
    assert listed["tagged"] == {"totalCount": 1, "nodes": [{"id": kept["id"]}]}
    assert listed["named"] == {"totalCount": 0}
    assert listed["mailed"] == {"totalCount": 0}
    assert listed["contacts"] == {"totalCount": 0, "nodes": []}


async def test_delete_with_stale_version_is_a_conflict(tenant: Tenant) -> None:
    customer = await create(tenant, name="Still here")
    await update(tenant, customer["id"], 1, name="Renamed")
    data = await tenant.data(DELETE, {"id": customer["id"], "v": 1})
    assert data["customerDelete"]["deletedId"] is None
    assert codes(data["customerDelete"]["userErrors"]) == [("CONFLICT", ["expectedVersion"])]
    assert "current version is 2" in data["customerDelete"]["userErrors"][0]["message"]
    assert (await node(tenant, customer["id"]) or {}).get("name") == "Renamed"


async def test_delete_without_version_and_twice(tenant: Tenant) -> None:
    customer = await create(tenant, name="Once")
    first = await tenant.data(DELETE, {"id": customer["id"]})
    assert first["customerDelete"] == {"deletedId": customer["id"], "userErrors": []}
    second = await tenant.data(DELETE, {"id": customer["id"]})
    assert second["customerDelete"]["deletedId"] is None
    assert codes(second["customerDelete"]["userErrors"]) == [("NOT_FOUND", ["id"])]
    payload = await update(tenant, customer["id"], 2, name="Zombie")
    assert codes(payload["userErrors"]) == [("NOT_FOUND", ["id"])]


async def test_delete_of_another_tenants_customer_is_not_found(tenant: Tenant, other_tenant: Tenant) -> None:
    foreign = await create(other_tenant, name="Theirs")
    data = await tenant.data(DELETE, {"id": foreign["id"]})
    assert codes(data["customerDelete"]["userErrors"]) == [("NOT_FOUND", ["id"])]
    assert await node(other_tenant, foreign["id"]) is not None


# --- roles --------------------------------------------------------------------------------------------------


async def test_viewer_can_read_but_not_write(tenant: Tenant) -> None:
    customer = await create(tenant, name="Readable")
    viewer = await tenant.token_for("VIEWER")
    attempts = [
        ("customerCreate", CREATE, {"input": {"kind": "PERSON", "name": "Nope"}}),
        ("customerUpdate", UPDATE, {"id": customer["id"], "input": {"name": "Nope"}, "v": 1}),
        ("customerDelete", DELETE, {"id": customer["id"], "v": 1}),
    ]
    for field, query, variables in attempts:
        body = await tenant.gql(query, variables, token=viewer)
        assert body["data"] == {field: None}, body
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert error["path"] == [field]
    read = await tenant.data(f"{{ customers(first: 5) {{ nodes {{ {FIELDS} }} }} }}", token=viewer)
    assert read["customers"]["nodes"] == [customer]
    assert await node(tenant, customer["id"]) == {"__typename": "Customer", **customer}


async def test_member_can_write(tenant: Tenant) -> None:
    member = await tenant.token_for("MEMBER")
    payload = await tenant.mutate(CREATE, {"input": {"kind": "PERSON", "name": "By member"}}, token=member)
    assert payload["customer"]["name"] == "By member"


# --- filters ------------------------------------------------------------------------------------------------


async def filtered(tenant: Tenant, filter_: dict[str, Any]) -> set[str]:
    data = await tenant.data(
        "query ($f: CustomerFilter) { customers(first: 100, filter: $f, orderBy: [{field: NAME}]) "
        "{ totalCount nodes { name } } }",
        {"f": filter_},
    )
    names = [n["name"] for n in data["customers"]["nodes"]]
    assert data["customers"]["totalCount"] == len(names)
    assert len(set(names)) == len(names)
    return set(names)


@pytest.fixture
async def crowd(tenant: Tenant) -> dict[str, dict[str, Any]]:
    """Five customers created one request apart (so createdAt increases), with varied core fields."""
    owner = await owner_id(tenant)
    rows = [
        {
            "kind": "PERSON",
            "name": "Alice Archer",
            "email": "alice@example.com",
            "tags": ["vip", "b2c"],
            "birthday": "1990-01-01",
            "ownerId": owner,
        },
        {"kind": "PERSON", "name": "alfred Brown", "email": "alfred@example.org", "tags": ["b2c"]},
        {
            "kind": "COMPANY",
            "name": "Archer Logistics",
            "email": "ops@archer.example",
            "tags": ["vip", "b2b"],
            "ownerId": owner,
        },
        {"kind": "COMPANY", "name": "Bright 100% Ltd", "tags": []},
        {"kind": "PERSON", "name": "Carol_Smith", "tags": ["b2c", "lead"], "birthday": "1975-06-30"},
    ]
    made: dict[str, dict[str, Any]] = {}
    for row in rows:
        made[str(row["name"])] = await create(tenant, **row)
    return made


async def test_string_filters(tenant: Tenant, crowd: dict[str, dict[str, Any]]) -> None:
    assert await filtered(tenant, {"name": {"contains": "ARCHER"}}) == {"Alice Archer", "Archer Logistics"}
    assert await filtered(tenant, {"name": {"startsWith": "al"}}) == {"Alice Archer", "alfred Brown"}
    assert await filtered(tenant, {"name": {"startsWith": "AL"}}) == {"Alice Archer", "alfred Brown"}
    # LIKE wildcards in the search text are literal.
    assert await filtered(tenant, {"name": {"contains": "100%"}}) == {"Bright 100% Ltd"}
    assert await filtered(tenant, {"name": {"contains": "%"}}) == {"Bright 100% Ltd"}
    assert await filtered(tenant, {"name": {"contains": "_"}}) == {"Carol_Smith"}
    assert await filtered(tenant, {"name": {"startsWith": "_"}}) == set()
    assert await filtered(tenant, {"email": {"eq": "alice@example.com"}}) == {"Alice Archer"}
    assert await filtered(tenant, {"email": {"eq": "ALICE@example.com"}}) == set()
    assert await filtered(tenant, {"email": {"isNull": True}}) == {"Bright 100% Ltd", "Carol_Smith"}
    assert await filtered(tenant, {"email": {"ne": "alice@example.com"}}) == {"alfred Brown", "Archer Logistics"}
    assert await filtered(tenant, {"name": {"in": ["Carol_Smith", "alfred Brown", "nobody"]}}) == {
        "alfred Brown",
        "Carol_Smith",
    }
    assert await filtered(tenant, {"name": {"in": []}}) == set()


async def test_kind_owner_and_birthday_filters(tenant: Tenant, crowd: dict[str, dict[str, Any]]) -> None:
    owner = await owner_id(tenant)
    assert await filtered(tenant, {"kind": {"eq": "COMPANY"}}) == {"Archer Logistics", "Bright 100% Ltd"}
    assert await filtered(tenant, {"kind": {"in": ["PERSON"]}}) == {"Alice Archer", "alfred Brown", "Carol_Smith"}
    assert await filtered(tenant, {"ownerId": {"eq": owner}}) == {"Alice Archer", "Archer Logistics"}
    assert await filtered(tenant, {"ownerId": {"isNull": True}}) == {"alfred Brown", "Bright 100% Ltd", "Carol_Smith"}
    assert await filtered(tenant, {"birthday": {"lt": "1980-01-01"}}) == {"Carol_Smith"}
    assert await filtered(tenant, {"birthday": {"gte": "1975-06-30", "lte": "1990-01-01"}}) == {
        "Alice Archer",
        "Carol_Smith",
    }
    assert await filtered(tenant, {"id": {"eq": crowd["Carol_Smith"]["id"]}}) == {"Carol_Smith"}


async def test_owner_filter_with_a_bad_id_is_bad_user_input(tenant: Tenant, crowd: dict[str, Any]) -> None:
    body = await tenant.gql('{ customers(first: 5, filter: {ownerId: {eq: "nope"}}) { totalCount } }')
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_tag_filters(tenant: Tenant, crowd: dict[str, dict[str, Any]]) -> None:
    assert await filtered(tenant, {"tags": {"containsAny": ["vip", "lead"]}}) == {
        "Alice Archer",
        "Archer Logistics",
        "Carol_Smith",
    }
    assert await filtered(tenant, {"tags": {"containsAll": ["vip", "b2c"]}}) == {"Alice Archer"}
    assert await filtered(tenant, {"tags": {"containsAll": []}}) == {
        "Alice Archer",
        "alfred Brown",
        "Archer Logistics",
        "Bright 100% Ltd",
        "Carol_Smith",
    }
    assert await filtered(tenant, {"tags": {"containsAny": []}}) == set()
    assert await filtered(tenant, {"tags": {"isEmpty": True}}) == {"Bright 100% Ltd"}
    assert await filtered(tenant, {"tags": {"isEmpty": False}}) == {
        "Alice Archer",
        "alfred Brown",
        "Archer Logistics",
        "Carol_Smith",
    }
    assert await filtered(tenant, {"tags": {"containsAny": ["VIP"]}}) == set()


async def test_created_at_ranges(tenant: Tenant, crowd: dict[str, dict[str, Any]]) -> None:
    stamps = [c["createdAt"] for c in crowd.values()]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 5
    third = stamps[2]
    assert await filtered(tenant, {"createdAt": {"gte": third}}) == {
        "Archer Logistics",
        "Bright 100% Ltd",
        "Carol_Smith",
    }
    assert await filtered(tenant, {"createdAt": {"gt": third}}) == {"Bright 100% Ltd", "Carol_Smith"}
    assert await filtered(tenant, {"createdAt": {"lt": third}}) == {"Alice Archer", "alfred Brown"}
    assert await filtered(tenant, {"createdAt": {"gt": stamps[0], "lte": stamps[3]}}) == {
        "alfred Brown",
        "Archer Logistics",
        "Bright 100% Ltd",
    }
    assert await filtered(tenant, {"createdAt": {"eq": third}}) == {"Archer Logistics"}
    # The same instant in another time zone.
    shifted = dt.datetime.fromisoformat(third).astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat()
    assert await filtered(tenant, {"createdAt": {"eq": shifted}}) == {"Archer Logistics"}


async def test_naive_datetime_in_a_filter_is_rejected(tenant: Tenant) -> None:
    body = await tenant.gql('{ customers(first: 5, filter: {createdAt: {gt: "2024-01-01T00:00:00"}}) { totalCount } }')
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_boolean_combinations(tenant: Tenant, crowd: dict[str, dict[str, Any]]) -> None:
    vip_or_lead = {"or": [{"tags": {"containsAny": ["vip"]}}, {"tags": {"containsAny": ["lead"]}}]}
    assert await filtered(tenant, vip_or_lead) == {"Alice Archer", "Archer Logistics", "Carol_Smith"}
    assert await filtered(tenant, {"and": [vip_or_lead, {"kind": {"eq": "PERSON"}}]}) == {"Alice Archer", "Carol_Smith"}
    assert await filtered(tenant, {"not": vip_or_lead}) == {"alfred Brown", "Bright 100% Ltd"}
    assert await filtered(tenant, {"not": {"not": {"kind": {"eq": "COMPANY"}}}}) == {
        "Archer Logistics",
        "Bright 100% Ltd",
    }
    # Sibling conditions are ANDed with the combinators.
    assert await filtered(tenant, {"kind": {"eq": "PERSON"}, "not": {"name": {"startsWith": "a"}}}) == {"Carol_Smith"}
    assert await filtered(tenant, {"or": []}) == set()
    assert await filtered(tenant, {"and": []}) == await filtered(tenant, {})
    # not(email = x) keeps rows without an email out: SQL three-valued logic, documented by this test.
    assert await filtered(tenant, {"not": {"email": {"eq": "alice@example.com"}}}) == {
        "alfred Brown",
        "Archer Logistics",
    }


async def test_filter_nesting_is_limited(tenant: Tenant) -> None:
    deep: dict[str, Any] = {"kind": {"eq": "PERSON"}}
    for _ in range(12):
        deep = {"not": deep}
    body = await tenant.gql(
        "query ($f: CustomerFilter) { customers(first: 1, filter: $f) { totalCount } }", {"f": deep}
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# --- ordering and keyset pagination ------------------------------------------------------------------------

PAGE = """
query ($first: Int, $after: String, $last: Int, $before: String, $order: [CustomerOrderBy!], $f: CustomerFilter) {
  customers(first: $first, after: $after, last: $last, before: $before, orderBy: $order, filter: $f) {
    totalCount
    edges { cursor node { id name birthday createdAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def walk_forward(
    tenant: Tenant, order: list[dict[str, str]], size: int, filter_: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    after = None
    for _ in range(100):
        data = await tenant.data(PAGE, {"first": size, "after": after, "order": order, "f": filter_})
        conn = data["customers"]
        edges = conn["edges"]
        info = conn["pageInfo"]
        assert len(edges) <= size
        assert info["hasPreviousPage"] == (after is not None)
        if edges:
            assert info["startCursor"] == edges[0]["cursor"]
            assert info["endCursor"] == edges[-1]["cursor"]
        seen += [e["node"] for e in edges]
        if not info["hasNextPage"]:
            return seen
        assert len(edges) == size
        after = info["endCursor"]
    raise AssertionError("pagination did not end")


async def walk_backward(
    tenant: Tenant, order: list[dict[str, str]], size: int, filter_: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    before = None
    for _ in range(100):
        data = await tenant.data(PAGE, {"last": size, "before": before, "order": order, "f": filter_})
        conn = data["customers"]
        edges = conn["edges"]
        info = conn["pageInfo"]
        assert len(edges) <= size
        assert info["hasNextPage"] == (before is not None)
        seen = [e["node"] for e in edges] + seen
        if not info["hasPreviousPage"]:
            return seen
        assert len(edges) == size
        before = info["startCursor"]
    raise AssertionError("pagination did not end")


NAMES = [
    "Delta",
    "Alpha",
    "Charlie",
    "Bravo",
    "Alpha",
    "Echo",
    "Charlie",
    "Foxtrot",
    "Alpha",
    "Golf",
    "Hotel",
    "India",
    "Bravo",
    "Juliet",
    "Kilo",
    "Lima",
    "Alpha",
    "Mike",
    "November",
    "Oscar",
    "Papa",
    "Quebec",
    "Delta",
]


@pytest.fixture
async def many(tenant: Tenant) -> list[dict[str, Any]]:
    """23 customers with repeated names and birthdays (some missing), created in three requests so that
    createdAt has ties within a request."""
    inputs = []
    for i, name in enumerate(NAMES):
        birthday = None if i % 4 == 0 else (dt.date(1980, 1, 1) + dt.timedelta(days=(i * 37) % 5 * 400)).isoformat()
        inputs.append({"kind": "PERSON", "name": name, "birthday": birthday})
    made: list[dict[str, Any]] = []
    for batch in (inputs[:8], inputs[8:15], inputs[15:]):
        fields = " ".join(
            f"c{i}: customerCreate(input: $i{i}) {{ customer {{ id name birthday createdAt }} userErrors {{ code }} }}"
            for i in range(len(batch))
        )
        decl = ", ".join(f"$i{i}: CustomerCreateInput!" for i in range(len(batch)))
        data = await tenant.data(f"mutation ({decl}) {{ {fields} }}", {f"i{i}": v for i, v in enumerate(batch)})
        for i in range(len(batch)):
            payload = data[f"c{i}"]
            assert payload["userErrors"] == []
            made.append(payload["customer"])
    assert len({c["createdAt"] for c in made}) == 3
    return made


def ids(records: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in records]


def expected_order(made: list[dict[str, Any]], key: str, descending: bool) -> list[str]:
    """Creation order is id order (UUIDv7); NULLs sort last ascending and first descending."""
    position = {c["id"]: i for i, c in enumerate(made)}

    def sort_key(c: dict[str, Any]) -> tuple[Any, ...]:
        value = c[key]
        return (value is None, value or "", position[c["id"]])

    ordered = sorted(made, key=sort_key)
    return ids(list(reversed(ordered)) if descending else ordered)


@pytest.mark.parametrize("field", ["NAME", "BIRTHDAY", "CREATED_AT"])
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("size", [1, 4, 5, 23, 100])
async def test_keyset_pagination_visits_every_row_once(
    tenant: Tenant, many: list[dict[str, Any]], field: str, direction: str, size: int
) -> None:
    key = {"NAME": "name", "BIRTHDAY": "birthday", "CREATED_AT": "createdAt"}[field]
    expected = expected_order(many, key, direction == "DESC")
    order = [{"field": field, "direction": direction}]
    forward = await walk_forward(tenant, order, size)
    assert ids(forward) == expected
    backward = await walk_backward(tenant, order, size)
    assert ids(backward) == expected


async def test_default_order_is_creation_order(tenant: Tenant, many: list[dict[str, Any]]) -> None:
    assert ids(await walk_forward(tenant, [], 6)) == ids(many)
    assert ids(await walk_backward(tenant, [], 6)) == ids(many)


async def test_multi_key_order(tenant: Tenant, many: list[dict[str, Any]]) -> None:
    order = [{"field": "NAME", "direction": "ASC"}, {"field": "BIRTHDAY", "direction": "DESC"}]
    position = {c["id"]: i for i, c in enumerate(many)}

    def key(c: dict[str, Any]) -> tuple[Any, ...]:
        # Name ascending; birthday descending with NULLs first; then id ascending (the first key's direction).
        days = dt.date.fromisoformat(c["birthday"]).toordinal() if c["birthday"] else None
        return (c["name"], days is not None, -(days or 0), position[c["id"]])

    expected = ids(sorted(many, key=key))
    assert ids(await walk_forward(tenant, order, 3)) == expected
    assert ids(await walk_backward(tenant, order, 3)) == expected


async def test_pagination_with_a_filter(tenant: Tenant, many: list[dict[str, Any]]) -> None:
    filter_ = {"birthday": {"isNull": False}, "name": {"in": ["Alpha", "Bravo", "Charlie", "Delta", "Kilo"]}}
    subset = [
        c for c in many if c["birthday"] is not None and c["name"] in {"Alpha", "Bravo", "Charlie", "Delta", "Kilo"}
    ]
    order = [{"field": "BIRTHDAY", "direction": "DESC"}]
    expected = expected_order(subset, "birthday", True)
    assert ids(await walk_forward(tenant, order, 2, filter_)) == expected
    assert ids(await walk_backward(tenant, order, 2, filter_)) == expected
    data = await tenant.data(PAGE, {"first": 1, "order": order, "f": filter_})
    assert data["customers"]["totalCount"] == len(subset)


async def test_rows_added_between_pages_do_not_shift_the_cursor(tenant: Tenant, many: list[dict[str, Any]]) -> None:
    order = [{"field": "NAME", "direction": "ASC"}]
    first = await tenant.data(PAGE, {"first": 5, "order": order})
    cursor = first["customers"]["pageInfo"]["endCursor"]
    last_name = first["customers"]["edges"][-1]["node"]["name"]
    await create(tenant, name="Aardvark")  # sorts before the cursor
    second = await tenant.data(PAGE, {"first": 5, "after": cursor, "order": order})
    names = [e["node"]["name"] for e in second["customers"]["edges"]]
    assert "Aardvark" not in names
    assert all(n >= last_name for n in names)
    seen = {e["node"]["id"] for e in first["customers"]["edges"]}
    assert not seen & {e["node"]["id"] for e in second["customers"]["edges"]}


async def test_too_many_order_keys_is_bad_user_input(tenant: Tenant) -> None:
    order = [{"field": "NAME"}] * 6
    body = await tenant.gql(PAGE, {"first": 5, "order": order})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_order_item_needs_a_field(tenant: Tenant) -> None:
    body = await tenant.gql(PAGE, {"first": 5, "order": [{"direction": "DESC"}]})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# --- statements ---------------------------------------------------------------------------------------------


async def test_update_that_changes_nothing_writes_nothing(tenant: Tenant, rapport: App) -> None:
    customer = await create(tenant, name="Still", email="still@example.com")
    with rapport.sql.capture() as statements:
        payload = await update(tenant, customer["id"], 1, name="Still ", email="still@EXAMPLE.com")
    assert payload["userErrors"] == []
    assert payload["customer"]["version"] == 1
    assert statements
    assert not [s for s in statements if s.lstrip().upper().startswith(("UPDATE", "INSERT", "SAVEPOINT"))]


async def test_failed_validation_writes_nothing(tenant: Tenant, rapport: App) -> None:
    with rapport.sql.capture() as statements:
        errors = await create_errors(tenant, {"kind": "PERSON", "name": "X", "email": "broken"})
    assert codes(errors) == [("INVALID_EMAIL", ["input", "email"])]
    assert not [s for s in statements if s.lstrip().upper().startswith(("INSERT", "SAVEPOINT"))]


async def test_total_count_is_counted_only_when_asked(tenant: Tenant, rapport: App) -> None:
    await create(tenant, name="Counted")
    # capture() reuses one list: copy what each block saw.
    for compiled in (False, True):  # a separate statement on the resolver path, a subquery when compiled
        with rapport.sql.capture() as captured, nullcontext() if compiled else resolver_path(rapport):
            await tenant.data("{ customers(first: 5) { nodes { id } } }")
        without = list(captured)
        with rapport.sql.capture() as captured, nullcontext() if compiled else resolver_path(rapport):
            await tenant.data("{ customers(first: 5) { totalCount nodes { id } } }")
        with_count = list(captured)
        assert len(with_count) == len(without) + (0 if compiled else 1)
        assert not [s for s in without if "count(" in s.lower()]
        assert [s for s in with_count if "count(" in s.lower()]
