"""Field permissions: ``visibleTo`` and ``editableBy`` are role allow-lists. A field hidden from a role is
absent from everything that role can see (its schema's output, input, filter and sort types, the generic
``customFields`` JSON, ``customFieldDefinitions``, the SDL); values for fields a role may not edit are refused
(FORBIDDEN); defaults of hidden fields still fill the records that role creates."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from rapport.ids import from_global_id
from rapport.tenants import enter_tenant
from tests.conftest import Tenant

ROLES = ("OWNER", "ADMIN", "MEMBER", "VIEWER")

# key: (type, settings as GraphQL literals)
FIELDS: dict[str, tuple[str, dict[str, str]]] = {
    "public": ("TEXT", {"sortable": "true"}),
    "salary": ("INTEGER", {"visibleTo": "[OWNER, ADMIN]", "sortable": "true"}),
    "segment": ("TEXT", {"editableBy": "[OWNER, ADMIN]", "default": '"retail"'}),
    "internal": ("TEXT", {"visibleTo": "[OWNER, ADMIN, MEMBER]", "editableBy": "[OWNER]"}),
    "secretTier": (
        "SELECT",
        {"visibleTo": "[OWNER]", "options": '[{label: "Gold"}, {label: "Plain"}]', "default": "GOLD"},
    ),
    "memberNote": ("TEXT", {"visibleTo": "[MEMBER]"}),  # an allow-list: not even the OWNER sees it
}
VISIBLE = {
    "OWNER": ["public", "salary", "segment", "internal", "secretTier"],
    "ADMIN": ["public", "salary", "segment", "internal"],
    "MEMBER": ["public", "segment", "internal", "memberNote"],
    "VIEWER": ["public", "segment"],
}
EDITABLE = {
    "OWNER": {"public", "salary", "segment", "internal", "secretTier"},
    "ADMIN": {"public", "salary", "segment"},
    "MEMBER": {"public", "memberNote"},
}
# What a write of each field sends (typed form; the generic form sends the same JSON).
VALUES: dict[str, Any] = {
    "public": "hello",
    "salary": 5000,
    "segment": "wholesale",
    "internal": "note",
    "secretTier": "PLAIN",
    "memberNote": "mine",
}
CREATE = (
    "mutation($input: CustomerCreateInput!) { customerCreate(input: $input) { "
    "customer { id version customFields } userErrors { code field message } } }"
)
UPDATE = (
    "mutation($id: ID!, $v: Int!, $input: CustomerUpdateInput!) { "
    "customerUpdate(id: $id, input: $input, expectedVersion: $v) { "
    "customer { id version customFields } userErrors { code field message } } }"
)


async def setup(tenant: Tenant) -> dict[str, str]:
    """The fields above, and a token per role."""
    for key, (type_, settings) in FIELDS.items():
        await tenant.add_field("CUSTOMER", key, type_, **settings)
    return {role: tenant.token if role == "OWNER" else await tenant.token_for(role) for role in ROLES}


async def stored_custom(tenant: Tenant, customer_id: str) -> dict[str, Any]:
    async with tenant.owner_engine.begin() as conn:
        await enter_tenant(conn, tenant.id)
        found = await conn.execute(
            text("SELECT custom FROM customers WHERE id = :id"),
            {"id": from_global_id(customer_id)[1]},  # type: ignore[index]
        )
        custom: dict[str, Any] = found.scalar_one()
        return custom


async def type_members(tenant: Tenant, name: str, token: str) -> list[str] | None:
    """The field (or input field, or enum value) names of a type as ``token`` sees it; None if absent."""
    found = (
        await tenant.data(
            "query($n: String!) { __type(name: $n) { fields { name } inputFields { name } enumValues { name } } }",
            {"n": name},
            token,
        )
    )["__type"]
    if found is None:
        return None
    members = found["fields"] or found["inputFields"] or found["enumValues"] or []
    return [m["name"] for m in members]


def errors(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_sees_only_its_fields(tenant: Tenant, role: str) -> None:
    tokens = await setup(tenant)
    token, visible = tokens[role], VISIBLE[role]
    assert await type_members(tenant, "CustomerCustomFields", token) == visible
    assert await type_members(tenant, "CustomerCustomFieldsInput", token) == visible
    assert await type_members(tenant, "CustomerCustomFieldsFilter", token) == visible
    sort_names = {"secretTier": "SECRET_TIER", "memberNote": "MEMBER_NOTE"}
    expected_sorts = [sort_names.get(k, k.upper()) for k in visible]  # every field sorts (decision 6)
    assert await type_members(tenant, "CustomerCustomOrderField", token) == expected_sorts
    # A hidden select's enum is not in the schema at all.
    enum = await type_members(tenant, "CustomerSecretTier", token)
    assert enum == (["GOLD", "PLAIN"] if "secretTier" in visible else None)
    names = {
        t["name"] for t in (await tenant.data("{ __schema { types { name } } }", token=token))["__schema"]["types"]
    }
    assert ("CustomerSecretTier" in names) == ("secretTier" in visible)
    assert "CustomerMemberNote" not in names  # text fields make no types of their own


@pytest.mark.parametrize("role", ROLES)
async def test_hidden_fields_cannot_be_read_filtered_or_sorted(tenant: Tenant, role: str) -> None:
    tokens = await setup(tenant)
    # A record holding a value in every field (written as the owner, memberNote straight to the table).
    made = await tenant.mutate(
        CREATE,
        {"input": {"kind": "PERSON", "name": "Full", "custom": {k: v for k, v in VALUES.items() if k != "memberNote"}}},
    )
    customer_id = made["customer"]["id"]
    async with tenant.owner_engine.begin() as conn:
        await enter_tenant(conn, tenant.id)
        await conn.execute(
            text('UPDATE customers SET custom = custom || \'{"memberNote": "mine"}\' WHERE id = :id'),
            {"id": from_global_id(customer_id)[1]},  # type: ignore[index]
        )
    token, visible = tokens[role], VISIBLE[role]
    read = await tenant.data(
        "query($id: ID!) { node(id: $id) { ... on Customer { customFields } } }", {"id": customer_id}, token
    )
    assert sorted(read["node"]["customFields"]) == sorted(visible)
    for key in FIELDS:
        selection = f"query($id: ID!) {{ node(id: $id) {{ ... on Customer {{ custom {{ {key} }} }} }} }}"
        filtered = "query($f: CustomerFilter) { customers(first: 5, filter: $f) { nodes { name } } }"
        condition = {"custom": {key: {"isNull": False}}}
        if key in visible:
            value = (await tenant.data(selection, {"id": customer_id}, token))["node"]["custom"][key]
            assert value == VALUES[key]
            assert (await tenant.data(filtered, {"f": condition}, token))["customers"]["nodes"] == [{"name": "Full"}]
        else:
            assert (await tenant.gql(selection, {"id": customer_id}, token))["errors"], key
            assert (await tenant.gql(filtered, {"f": condition}, token))["errors"], key
    hidden_sort = await tenant.gql(
        "{ customers(first: 5, orderBy: [{custom: SALARY}]) { nodes { name } } }", token=token
    )
    assert bool(hidden_sort.get("errors")) == ("salary" not in visible)


@pytest.mark.parametrize("role", ROLES)
async def test_definitions_query_shows_non_admins_only_their_fields(tenant: Tenant, role: str) -> None:
    tokens = await setup(tenant)
    found = await tenant.data(
        "{ customFieldDefinitions(entity: CUSTOMER) { key visibleTo editableBy } }", token=tokens[role]
    )
    keys = [d["key"] for d in found["customFieldDefinitions"]]
    admin = role in ("OWNER", "ADMIN")
    assert keys == (list(FIELDS) if admin else VISIBLE[role])  # admins manage every field
    settings = {d["key"]: (d["visibleTo"], d["editableBy"]) for d in found["customFieldDefinitions"]}
    assert settings["public"] == (None, None)
    assert settings["segment"] == (None, ["OWNER", "ADMIN"])


@pytest.mark.parametrize("role", ["OWNER", "ADMIN", "MEMBER"])
async def test_writes_to_fields_a_role_may_not_edit_are_forbidden(tenant: Tenant, role: str) -> None:
    tokens = await setup(tenant)
    token, visible, editable = tokens[role], VISIBLE[role], EDITABLE[role]
    for key in FIELDS:
        for form in ("custom", "customFields"):
            value = VALUES[key]
            body = await tenant.gql(
                CREATE, {"input": {"kind": "PERSON", "name": f"{key}-{form}", form: {key: value}}}, token
            )
            if key in editable:
                payload = body["data"]["customerCreate"]
                assert payload["userErrors"] == [], (key, form)
                stored = await stored_custom(tenant, payload["customer"]["id"])
                assert key in stored
            elif key in visible:
                payload = body["data"]["customerCreate"]
                assert payload["customer"] is None
                assert errors(payload) == [("FORBIDDEN", ["input", form, key])], (key, form)
            elif form == "custom":
                assert body["errors"], key  # not in this role's input type at all
            else:
                payload = body["data"]["customerCreate"]
                assert errors(payload) == [("UNKNOWN_FIELD", ["input", "customFields", key])], key


async def test_updates_keep_hidden_values_and_refuse_non_editable_ones(tenant: Tenant) -> None:
    tokens = await setup(tenant)
    made = await tenant.mutate(
        CREATE,
        {"input": {"kind": "PERSON", "name": "Kept", "custom": {k: v for k, v in VALUES.items() if k != "memberNote"}}},
    )
    customer = made["customer"]
    before = await stored_custom(tenant, customer["id"])
    member = tokens["MEMBER"]
    # Changing a field the member may edit leaves every other value, hidden ones included, as it was.
    ok = await tenant.data(
        UPDATE, {"id": customer["id"], "v": customer["version"], "input": {"custom": {"public": "changed"}}}, member
    )
    assert ok["customerUpdate"]["userErrors"] == []
    assert await stored_custom(tenant, customer["id"]) == {**before, "public": "changed"}
    version = ok["customerUpdate"]["customer"]["version"]
    for form, key, value in (
        ("custom", "segment", None),
        ("customFields", "internal", "x"),
        ("custom", "segment", "b"),
    ):
        change = {"id": customer["id"], "v": version, "input": {form: {key: value}}}
        refused = await tenant.data(UPDATE, change, member)
        assert errors(refused["customerUpdate"]) == [("FORBIDDEN", ["input", form, key])]
    assert await stored_custom(tenant, customer["id"]) == {**before, "public": "changed"}
    # A member's updates without custom values do not touch them either.
    renamed = await tenant.data(UPDATE, {"id": customer["id"], "v": version, "input": {"name": "Renamed"}}, member)
    assert renamed["customerUpdate"]["userErrors"] == []
    assert await stored_custom(tenant, customer["id"]) == {**before, "public": "changed"}


async def test_viewers_cannot_write_at_all(tenant: Tenant) -> None:
    tokens = await setup(tenant)
    body = await tenant.gql(
        CREATE, {"input": {"kind": "PERSON", "name": "V", "custom": {"public": "x"}}}, tokens["VIEWER"]
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("role", ["ADMIN", "MEMBER"])
async def test_defaults_of_hidden_and_non_editable_fields_fill_new_records(tenant: Tenant, role: str) -> None:
    tokens = await setup(tenant)
    owner_view = await tenant.data("{ customFieldDefinitions(entity: CUSTOMER) { key options { id value } } }")
    gold = next(
        o["id"]
        for d in owner_view["customFieldDefinitions"]
        if d["key"] == "secretTier"
        for o in d["options"]
        if o["value"] == "GOLD"
    )
    made = await tenant.data(CREATE, {"input": {"kind": "PERSON", "name": "Defaults"}}, tokens[role])
    payload = made["customerCreate"]
    assert payload["userErrors"] == []
    # Stored: the hidden select's default and the non-editable text's default.
    assert await stored_custom(tenant, payload["customer"]["id"]) == {"secretTier": gold, "segment": "retail"}
    # Served: only what the role sees.
    assert payload["customer"]["customFields"] == {"segment": "retail"}


@pytest.mark.parametrize("role", ROLES)
async def test_sdl_per_role(tenant: Tenant, role: str) -> None:
    tokens = await setup(tenant)
    response = await tenant.http.get("/graphql/schema.graphql", headers={"Authorization": f"Bearer {tokens[role]}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/graphql")
    sdl = response.text
    assert "type Query" in sdl
    block = sdl.split("type CustomerCustomFields {", 1)[1].split("}", 1)[0]
    declared = [line.split(":")[0].strip() for line in block.splitlines() if ":" in line and '"""' not in line]
    assert declared == VISIBLE[role]
    assert ("enum CustomerSecretTier" in sdl) == ("secretTier" in VISIBLE[role])
    for key in set(FIELDS) - set(VISIBLE[role]):
        assert f"  {key}:" not in sdl, key


async def test_sdl_needs_a_valid_token(tenant: Tenant) -> None:
    assert (await tenant.http.get("/graphql/schema.graphql")).status_code == 401
    bad = await tenant.http.get("/graphql/schema.graphql", headers={"Authorization": "Bearer rpt_nope"})
    assert bad.status_code == 401


async def test_changing_visibility_reshapes_the_roles_schema(tenant: Tenant) -> None:
    tokens = await setup(tenant)
    member = tokens["MEMBER"]
    assert "salary" not in (await type_members(tenant, "CustomerCustomFields", member) or [])
    definitions = await tenant.data("{ customFieldDefinitions(entity: CUSTOMER) { id key } }")
    salary = next(d["id"] for d in definitions["customFieldDefinitions"] if d["key"] == "salary")
    await tenant.mutate(
        "mutation($id: ID!) { customFieldUpdate(id: $id, input: {visibleTo: null}) "
        "{ customField { visibleTo } userErrors { code field message } } }",
        {"id": salary},
    )
    assert "salary" in (await type_members(tenant, "CustomerCustomFields", member) or [])
    refused = await tenant.data(CREATE, {"input": {"kind": "PERSON", "name": "S", "custom": {"salary": 1}}}, member)
    assert refused["customerCreate"]["userErrors"] == []  # visible to all, editable by all now
    # editableBy must stay within visibleTo.
    bad = await tenant.data(
        "mutation($id: ID!) { customFieldUpdate(id: $id, input: {visibleTo: [OWNER], editableBy: [ADMIN]}) "
        "{ customField { id } userErrors { code field } } }",
        {"id": salary},
    )
    assert errors(bad["customFieldUpdate"]) == [("INVALID", ["input", "editableBy"])]


async def test_audit_entries_do_not_reveal_hidden_fields(tenant: Tenant) -> None:
    tokens = await setup(tenant)
    made = await tenant.data(CREATE, {"input": {"kind": "PERSON", "name": "Audited"}}, tokens["MEMBER"])
    customer_id = made["customerCreate"]["customer"]["id"]
    entries = await tenant.data(
        "query($id: ID!) { auditLog(entityId: $id, first: 10) { edges { node { changes { field } } } } }",
        {"id": customer_id},
        tokens["MEMBER"],
    )
    fields = {c["field"] for e in entries["auditLog"]["edges"] for c in e["node"]["changes"]}
    assert "custom.segment" in fields
    assert "custom.secretTier" not in fields
