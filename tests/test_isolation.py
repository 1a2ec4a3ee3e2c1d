"""Tenant B can never read or change tenant A's data: by ID, by filter, through nested fields, or by
mutation. (The full matrix over every entity grows with the domain; this covers the spine.)"""

from __future__ import annotations

from typing import Any

from tests.conftest import Tenant

CREATE_COMPANY = """mutation($name: String!) {
  customerCreate(input: {kind: COMPANY, name: $name, email: "a@acme.example"}) {
    customer { id version } userErrors { code } } }"""
CREATE_CONTACT = """mutation($c: ID!) { contactCreate(input: {customerId: $c, name: "Ann Contact"})
  { contact { id version } userErrors { code } } }"""


async def _seed(tenant: Tenant) -> dict[str, Any]:
    customer = (await tenant.mutate(CREATE_COMPANY, {"name": "Acme Secret"}))["customer"]
    contact = (await tenant.mutate(CREATE_CONTACT, {"c": customer["id"]}))["contact"]
    return {"customer": customer, "contact": contact}


async def test_other_tenant_cannot_read_by_id(tenant: Tenant, other_tenant: Tenant) -> None:
    seeded = await _seed(tenant)
    for obj in seeded.values():
        data = await other_tenant.data("query($id: ID!) { node(id: $id) { id } }", {"id": obj["id"]})
        assert data["node"] is None
    data = await other_tenant.data(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [o["id"] for o in seeded.values()]}
    )
    assert data["nodes"] == [None, None]


async def test_other_tenant_cannot_find_by_filter_or_list(tenant: Tenant, other_tenant: Tenant) -> None:
    seeded = await _seed(tenant)
    queries = [
        '{ customers(first: 100, filter: {name: {contains: "Secret"}}) { totalCount edges { node { id } } } }',
        '{ customers(first: 100, filter: {email: {eq: "a@acme.example"}}) { totalCount edges { node { id } } } }',
        "{ customers(first: 100) { totalCount edges { node { id } } } }",
        "{ contacts(first: 100) { totalCount edges { node { id } } } }",
    ]
    for query in queries:
        data = await other_tenant.data(query)
        (connection,) = data.values()
        assert connection == {"totalCount": 0, "edges": []}
    ids = {"id": {"in": [seeded["customer"]["id"]]}}
    data = await other_tenant.data(
        "query($f: CustomerFilter) { customers(first: 10, filter: $f) { edges { node { id } } } }", {"f": ids}
    )
    assert data["customers"]["edges"] == []


async def test_nested_fields_stay_inside_the_tenant(tenant: Tenant, other_tenant: Tenant) -> None:
    await _seed(tenant)
    mine = (await other_tenant.mutate(CREATE_COMPANY, {"name": "B Corp"}))["customer"]
    data = await other_tenant.data(
        "{ customers(first: 10) { edges { node { id contacts(first: 10) { totalCount edges { node { id } } } } } } }"
    )
    (edge,) = data["customers"]["edges"]
    assert edge["node"]["id"] == mine["id"]
    assert edge["node"]["contacts"] == {"totalCount": 0, "edges": []}


async def test_other_tenant_cannot_update_or_delete(tenant: Tenant, other_tenant: Tenant) -> None:
    seeded = await _seed(tenant)
    customer, contact = seeded["customer"], seeded["contact"]
    update = await other_tenant.data(
        'mutation($id: ID!) { customerUpdate(id: $id, expectedVersion: 1, input: {name: "Hacked"}) '
        "{ customer { id } userErrors { code field } } }",
        {"id": customer["id"]},
    )
    assert update["customerUpdate"] == {
        "customer": None,
        "userErrors": [{"code": "NOT_FOUND", "field": ["id"]}],
    }
    for mutation, target in (("customerDelete", customer), ("contactDelete", contact)):
        result = await other_tenant.data(
            f"mutation($id: ID!) {{ {mutation}(id: $id) {{ deletedId userErrors {{ code }} }} }}",
            {"id": target["id"]},
        )
        assert result[mutation] == {"deletedId": None, "userErrors": [{"code": "NOT_FOUND"}]}
    # A contact cannot be attached to another tenant's customer either.
    attach = await other_tenant.data(CREATE_CONTACT, {"c": customer["id"]})
    assert attach["contactCreate"]["userErrors"] == [{"code": "NOT_FOUND"}]
    # Tenant A's data is untouched.
    data = await tenant.data(
        "query($id: ID!) { node(id: $id) { ... on Customer { name version contacts(first: 5) { totalCount } } } }",
        {"id": customer["id"]},
    )
    assert data["node"] == {"name": "Acme Secret", "version": 1, "contacts": {"totalCount": 1}}


async def test_custom_field_definitions_are_per_tenant(tenant: Tenant, other_tenant: Tenant) -> None:
    created = await tenant.add_field("CUSTOMER", "shoeSize", "INTEGER")
    data = await other_tenant.data("{ customFieldDefinitions { key } }")
    assert data["customFieldDefinitions"] == []
    result = await other_tenant.data(
        "mutation($id: ID!) { customFieldArchive(id: $id) { customField { id } userErrors { code } } }",
        {"id": created["id"]},
    )
    assert result["customFieldArchive"] == {"customField": None, "userErrors": [{"code": "NOT_FOUND"}]}
    mine = await tenant.data("{ customFieldDefinitions { key archived } }")
    assert mine["customFieldDefinitions"] == [{"key": "shoeSize", "archived": False}]
