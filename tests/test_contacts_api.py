"""Contacts over the API: they belong to company customers, resolve their customer, and page, filter and
sort as a customer's nested connection and as a root list."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Tenant

FIELDS = "id name title decisionRole email phone customer { id name kind } version createdAt updatedAt"

CREATE_CUSTOMER = """
mutation ($input: CustomerCreateInput!) {
  customerCreate(input: $input) { customer { id kind name version } userErrors { code field message } }
}
"""

CREATE = f"""
mutation ($input: ContactCreateInput!) {{
  contactCreate(input: $input) {{ contact {{ {FIELDS} }} userErrors {{ code field message }} }}
}}
"""

UPDATE = f"""
mutation ($id: ID!, $input: ContactUpdateInput!, $v: Int!) {{
  contactUpdate(id: $id, input: $input, expectedVersion: $v) {{
    contact {{ {FIELDS} }} userErrors {{ code field message }}
  }}
}}
"""

DELETE = """
mutation ($id: ID!, $v: Int) {
  contactDelete(id: $id, expectedVersion: $v) { deletedId userErrors { code field message } }
}
"""

CHILDREN = """
query ($id: ID!, $first: Int, $after: String, $last: Int, $before: String, $f: ContactFilter,
       $order: [ContactOrderBy!]) {
  node(id: $id) {
    ... on Customer {
      contacts(first: $first, after: $after, last: $last, before: $before, filter: $f, orderBy: $order) {
        totalCount
        edges { cursor node { id name email createdAt customer { id } } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }
  }
}
"""


async def company(tenant: Tenant, name: str = "Acme Corp", kind: str = "COMPANY") -> dict[str, Any]:
    payload = await tenant.mutate(CREATE_CUSTOMER, {"input": {"kind": kind, "name": name}})
    customer: dict[str, Any] = payload["customer"]
    return customer


async def contact(tenant: Tenant, customer_id: str, **fields: Any) -> dict[str, Any]:
    payload = await tenant.mutate(CREATE, {"input": {"customerId": customer_id, "name": "Someone", **fields}})
    value: dict[str, Any] = payload["contact"]
    return value


async def contact_count(tenant: Tenant) -> int:
    value: int = (await tenant.data("{ contacts(first: 1) { totalCount } }"))["contacts"]["totalCount"]
    return value


def codes(errors: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["field"]) for e in errors]


# --- create, read, rules ------------------------------------------------------------------------------------


async def test_create_contact_at_a_company(tenant: Tenant) -> None:
    acme = await company(tenant)
    made = await contact(
        tenant,
        acme["id"],
        name="  Zhang Min ",
        title="CTO",
        decisionRole="DECISION_MAKER",
        email="Zhang.Min@ACME.example",
        phone="+86 138 0013 8000",
    )
    assert {k: v for k, v in made.items() if k not in ("id", "createdAt", "updatedAt")} == {
        "name": "Zhang Min",
        "title": "CTO",
        "decisionRole": "DECISION_MAKER",
        "email": "Zhang.Min@acme.example",
        "phone": "+8613800138000",
        "customer": {"id": acme["id"], "name": "Acme Corp", "kind": "COMPANY"},
        "version": 1,
    }
    read = await tenant.data(
        f"query ($id: ID!) {{ node(id: $id) {{ ... on Contact {{ {FIELDS} }} }} }}", {"id": made["id"]}
    )
    assert read["node"] == made
    listed = await tenant.data(f"{{ contacts(first: 5) {{ totalCount nodes {{ {FIELDS} }} }} }}")
    assert listed["contacts"] == {"totalCount": 1, "nodes": [made]}


async def test_contact_at_a_person_is_invalid(tenant: Tenant) -> None:
    person = await company(tenant, "Pat Person", kind="PERSON")
    data = await tenant.data(CREATE, {"input": {"customerId": person["id"], "name": "Nope"}})
    payload = data["contactCreate"]
    assert payload["contact"] is None
    assert codes(payload["userErrors"]) == [("INVALID", ["input", "customerId"])]
    assert "company" in payload["userErrors"][0]["message"]
    assert await contact_count(tenant) == 0


@pytest.mark.parametrize("which", ["foreign", "deleted", "wrong-type", "garbage"])
async def test_contact_customer_must_exist_in_this_tenant(tenant: Tenant, other_tenant: Tenant, which: str) -> None:
    if which == "foreign":
        target = (await company(other_tenant))["id"]
    elif which == "deleted":
        gone = await company(tenant, "Gone Corp")
        await tenant.mutate(DELETE.replace("contactDelete", "customerDelete"), {"id": gone["id"]})
        target = gone["id"]
    elif which == "wrong-type":
        acme = await company(tenant)
        target = (await contact(tenant, acme["id"]))["id"]
    else:
        target = "Q3VzdG9tZXI6eHl6"
    before = await contact_count(tenant)
    data = await tenant.data(CREATE, {"input": {"customerId": target, "name": "Orphan"}})
    assert codes(data["contactCreate"]["userErrors"]) == [("NOT_FOUND", ["input", "customerId"])]
    assert await contact_count(tenant) == before


@pytest.mark.parametrize(
    ("fields", "code", "path"),
    [
        ({"name": " "}, "REQUIRED", ["input", "name"]),
        ({"email": "nope@"}, "INVALID_EMAIL", ["input", "email"]),
        ({"phone": "555"}, "INVALID_PHONE", ["input", "phone"]),
        ({"title": "x" * 201}, "TOO_LONG", ["input", "title"]),
    ],
)
async def test_contact_validation(tenant: Tenant, fields: dict[str, Any], code: str, path: list[str]) -> None:
    acme = await company(tenant)
    data = await tenant.data(CREATE, {"input": {"customerId": acme["id"], "name": "Valid", **fields}})
    assert codes(data["contactCreate"]["userErrors"]) == [(code, path)]
    assert await contact_count(tenant) == 0


async def test_update_contact_moves_between_companies_but_not_to_a_person(tenant: Tenant) -> None:
    acme = await company(tenant, "Acme Corp")
    globex = await company(tenant, "Globex")
    person = await company(tenant, "Pat Person", kind="PERSON")
    made = await contact(tenant, acme["id"], name="Mover", email="m@acme.example")

    to_person = await tenant.data(UPDATE, {"id": made["id"], "input": {"customerId": person["id"]}, "v": 1})
    assert codes(to_person["contactUpdate"]["userErrors"]) == [("INVALID", ["input", "customerId"])]

    to_null = await tenant.data(UPDATE, {"id": made["id"], "input": {"customerId": None}, "v": 1})
    assert codes(to_null["contactUpdate"]["userErrors"]) == [("REQUIRED", ["input", "customerId"])]

    moved = await tenant.data(UPDATE, {"id": made["id"], "input": {"customerId": globex["id"], "email": None}, "v": 1})
    payload = moved["contactUpdate"]
    assert payload["userErrors"] == []
    assert payload["contact"]["customer"]["id"] == globex["id"]
    assert payload["contact"]["email"] is None
    assert payload["contact"]["version"] == 2

    counts = await tenant.data(
        "query ($a: ID!, $g: ID!) { a: node(id: $a) { ... on Customer { contacts(first: 5) { totalCount } } } "
        "g: node(id: $g) { ... on Customer { contacts(first: 5) { totalCount } } } }",
        {"a": acme["id"], "g": globex["id"]},
    )
    assert counts == {"a": {"contacts": {"totalCount": 0}}, "g": {"contacts": {"totalCount": 1}}}


async def test_contact_delete_and_conflicts(tenant: Tenant) -> None:
    acme = await company(tenant)
    made = await contact(tenant, acme["id"])
    renamed = await tenant.data(UPDATE, {"id": made["id"], "input": {"name": "Renamed"}, "v": 1})
    assert renamed["contactUpdate"]["contact"]["version"] == 2
    stale = await tenant.data(DELETE, {"id": made["id"], "v": 1})
    assert codes(stale["contactDelete"]["userErrors"]) == [("CONFLICT", ["expectedVersion"])]
    done = await tenant.data(DELETE, {"id": made["id"], "v": 2})
    assert done["contactDelete"] == {"deletedId": made["id"], "userErrors": []}
    again = await tenant.data(DELETE, {"id": made["id"]})
    assert codes(again["contactDelete"]["userErrors"]) == [("NOT_FOUND", ["id"])]
    assert await contact_count(tenant) == 0
    # The company itself is untouched.
    still = await tenant.data("query ($id: ID!) { node(id: $id) { ... on Customer { version } } }", {"id": acme["id"]})
    assert still["node"] == {"version": 1}


async def test_viewer_cannot_write_contacts(tenant: Tenant) -> None:
    acme = await company(tenant)
    made = await contact(tenant, acme["id"])
    viewer = await tenant.token_for("VIEWER")
    for field, query, variables in [
        ("contactCreate", CREATE, {"input": {"customerId": acme["id"], "name": "Nope"}}),
        ("contactUpdate", UPDATE, {"id": made["id"], "input": {"name": "Nope"}, "v": 1}),
        ("contactDelete", DELETE, {"id": made["id"]}),
    ]:
        body = await tenant.gql(query, variables, token=viewer)
        assert body["data"] == {field: None}
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    listed = await tenant.data("{ contacts(first: 5) { nodes { id name version } } }", token=viewer)
    assert listed["contacts"]["nodes"] == [{"id": made["id"], "name": "Someone", "version": 1}]


# --- customer.contacts --------------------------------------------------------------------------------------


@pytest.fixture
async def staffed(tenant: Tenant) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """A company with 13 contacts (repeated names, some without email) created in two requests, and a second
    company with 2 contacts that must never leak into the first one's lists."""
    acme = await company(tenant, "Acme Corp")
    other = await company(tenant, "Other Corp")
    names = ["Mia", "Liam", "Emma", "Noah", "Mia", "Olivia", "Ava", "Liam", "Zoe", "Ben", "Mia", "Cleo", "Dan"]
    made: list[dict[str, Any]] = []
    for batch in (list(enumerate(names))[:7], list(enumerate(names))[7:]):
        decl = ", ".join(f"$i{i}: ContactCreateInput!" for i, _ in batch)
        fields = " ".join(
            f"c{i}: contactCreate(input: $i{i}) {{ contact {{ id name email createdAt customer {{ id }} }} "
            f"userErrors {{ code }} }}"
            for i, _ in batch
        )
        variables = {
            f"i{i}": {
                "customerId": acme["id"],
                "name": name,
                "email": None if i % 3 == 0 else f"{name.lower()}{i:02d}@acme.example",
                "title": "Buyer" if i % 2 else "Engineer",
            }
            for i, name in batch
        }
        data = await tenant.data(f"mutation ({decl}) {{ {fields} }}", variables)
        for i, _ in batch:
            assert data[f"c{i}"]["userErrors"] == []
            made.append(data[f"c{i}"]["contact"])
    for name in ("Mia", "Aaron"):
        await contact(tenant, other["id"], name=name)
    return acme, made, other


def ids(records: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in records]


async def children_forward(
    tenant: Tenant,
    customer_id: str,
    size: int,
    order: list[dict[str, str]] | None = None,
    filter_: dict[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    seen: list[dict[str, Any]] = []
    after = None
    total = -1
    for _ in range(50):
        data = await tenant.data(
            CHILDREN, {"id": customer_id, "first": size, "after": after, "order": order, "f": filter_}
        )
        conn = data["node"]["contacts"]
        total = conn["totalCount"]
        assert conn["pageInfo"]["hasPreviousPage"] == (after is not None)
        seen += [e["node"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            return seen, total
        assert len(conn["edges"]) == size
        after = conn["pageInfo"]["endCursor"]
    raise AssertionError("pagination did not end")


async def children_backward(
    tenant: Tenant,
    customer_id: str,
    size: int,
    order: list[dict[str, str]] | None = None,
    filter_: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    before = None
    for _ in range(50):
        data = await tenant.data(
            CHILDREN, {"id": customer_id, "last": size, "before": before, "order": order, "f": filter_}
        )
        conn = data["node"]["contacts"]
        assert conn["pageInfo"]["hasNextPage"] == (before is not None)
        seen = [e["node"] for e in conn["edges"]] + seen
        if not conn["pageInfo"]["hasPreviousPage"]:
            return seen
        assert len(conn["edges"]) == size
        before = conn["pageInfo"]["startCursor"]
    raise AssertionError("pagination did not end")


async def test_contacts_page_forward_and_backward(tenant: Tenant, staffed: Any) -> None:
    acme, made, _ = staffed
    for size in (1, 2, 5, 13, 50):
        forward, total = await children_forward(tenant, acme["id"], size)
        assert total == 13
        assert ids(forward) == ids(made), size
        assert {c["customer"]["id"] for c in forward} == {acme["id"]}
        assert ids(await children_backward(tenant, acme["id"], size)) == ids(made), size


async def test_first_page_and_page_info(tenant: Tenant, staffed: Any) -> None:
    acme, made, _ = staffed
    data = await tenant.data(CHILDREN, {"id": acme["id"], "first": 4})
    conn = data["node"]["contacts"]
    assert ids([e["node"] for e in conn["edges"]]) == ids(made[:4])
    assert conn["pageInfo"]["hasNextPage"] is True
    assert conn["pageInfo"]["hasPreviousPage"] is False
    second = await tenant.data(CHILDREN, {"id": acme["id"], "first": 4, "after": conn["edges"][1]["cursor"]})
    assert ids([e["node"] for e in second["node"]["contacts"]["edges"]]) == ids(made[2:6])
    tail = await tenant.data(CHILDREN, {"id": acme["id"], "last": 3})
    assert ids([e["node"] for e in tail["node"]["contacts"]["edges"]]) == ids(made[-3:])
    assert tail["node"]["contacts"]["pageInfo"]["hasPreviousPage"] is True
    assert tail["node"]["contacts"]["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(
    ("order", "key"),
    [
        ([{"field": "NAME"}], "name"),
        ([{"field": "NAME", "direction": "DESC"}], "name"),
        ([{"field": "EMAIL"}], "email"),
        ([{"field": "EMAIL", "direction": "DESC"}], "email"),
        ([{"field": "CREATED_AT"}], "createdAt"),
        ([{"field": "CREATED_AT", "direction": "DESC"}], "createdAt"),
    ],
)
async def test_contacts_keyset_ordering(tenant: Tenant, staffed: Any, order: list[dict[str, str]], key: str) -> None:
    acme, made, _ = staffed
    descending = order[0].get("direction") == "DESC"
    position = {c["id"]: i for i, c in enumerate(made)}
    ordered = sorted(made, key=lambda c: (c[key] is None, c[key] or "", position[c["id"]]))
    expected = ids(list(reversed(ordered)) if descending else ordered)
    for size in (2, 5):
        forward, _ = await children_forward(tenant, acme["id"], size, order)
        assert ids(forward) == expected
        assert ids(await children_backward(tenant, acme["id"], size, order)) == expected


async def test_contacts_filter_and_total(tenant: Tenant, staffed: Any) -> None:
    acme, made, _ = staffed
    mias = [c for c in made if c["name"] == "Mia"]
    forward, total = await children_forward(tenant, acme["id"], 2, filter_={"name": {"eq": "Mia"}})
    assert total == 3
    assert ids(forward) == ids(mias)
    _, no_email = await children_forward(tenant, acme["id"], 5, filter_={"email": {"isNull": True}})
    assert no_email == sum(1 for c in made if c["email"] is None)
    buyers, total = await children_forward(
        tenant,
        acme["id"],
        3,
        order=[{"field": "NAME", "direction": "DESC"}],
        filter_={"title": {"startsWith": "buy"}, "not": {"name": {"in": ["Zoe"]}}},
    )
    expected = [c for i, c in enumerate(made) if i % 2 and c["name"] != "Zoe"]
    assert total == len(expected)
    assert {c["id"] for c in buyers} == {c["id"] for c in expected}


async def test_contacts_of_many_customers_in_one_query(tenant: Tenant, staffed: Any) -> None:
    acme, made, other = staffed
    data = await tenant.data(
        "{ customers(first: 10, orderBy: [{field: NAME}]) { nodes { id name "
        "contacts(first: 3, orderBy: [{field: NAME}]) { totalCount nodes { name customer { id } } } } } }"
    )
    by_id = {c["id"]: c for c in data["customers"]["nodes"]}
    assert set(by_id) == {acme["id"], other["id"]}
    assert by_id[acme["id"]]["contacts"]["totalCount"] == 13
    acme_names = sorted(c["name"] for c in made)[:3]
    assert [c["name"] for c in by_id[acme["id"]]["contacts"]["nodes"]] == acme_names
    assert by_id[other["id"]]["contacts"]["totalCount"] == 2
    assert {c["customer"]["id"] for c in by_id[other["id"]]["contacts"]["nodes"]} == {other["id"]}


async def test_root_contacts_filter_by_customer(tenant: Tenant, staffed: Any) -> None:
    acme, made, other = staffed
    data = await tenant.data(
        "query ($c: ID!) { contacts(first: 100, filter: {customerId: {eq: $c}}) { totalCount nodes { id } } }",
        {"c": other["id"]},
    )
    assert data["contacts"]["totalCount"] == 2
    assert {n["id"] for n in data["contacts"]["nodes"]}.isdisjoint(ids(made))
    data = await tenant.data(
        "query ($c: ID!) { contacts(first: 100, filter: {customerId: {in: [$c]}}) { totalCount nodes { id } } }",
        {"c": acme["id"]},
    )
    assert sorted(n["id"] for n in data["contacts"]["nodes"]) == sorted(ids(made))
    data = await tenant.data("{ contacts(first: 100) { totalCount } }")
    assert data["contacts"]["totalCount"] == 15


async def test_deleting_the_company_hides_its_contacts(tenant: Tenant, staffed: Any) -> None:
    acme, made, other = staffed
    deleted = await tenant.data(
        "mutation ($id: ID!) { customerDelete(id: $id) { deletedId userErrors { code } } }", {"id": acme["id"]}
    )
    assert deleted["customerDelete"]["userErrors"] == []
    data = await tenant.data("{ contacts(first: 100) { totalCount nodes { customer { id } } } }")
    assert data["contacts"]["totalCount"] == 2
    assert {c["customer"]["id"] for c in data["contacts"]["nodes"]} == {other["id"]}
    nodes = await tenant.data("query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids(made[:3])})
    assert nodes["nodes"] == [None, None, None]
    # The hidden contacts cannot be changed either.
    update = await tenant.data(UPDATE, {"id": made[0]["id"], "input": {"name": "Ghost"}, "v": 2})
    assert codes(update["contactUpdate"]["userErrors"]) == [("NOT_FOUND", ["id"])]


async def test_contacts_of_another_tenant_are_invisible(tenant: Tenant, other_tenant: Tenant) -> None:
    acme = await company(tenant)
    mine = await contact(tenant, acme["id"], name="Mine")
    data = await other_tenant.data(
        "query ($id: ID!) { node(id: $id) { id } contacts(first: 5) { totalCount } }", {"id": mine["id"]}
    )
    assert data == {"node": None, "contacts": {"totalCount": 0}}
    foreign_update = await other_tenant.data(UPDATE, {"id": mine["id"], "input": {"name": "Stolen"}, "v": 1})
    assert codes(foreign_update["contactUpdate"]["userErrors"]) == [("NOT_FOUND", ["id"])]
