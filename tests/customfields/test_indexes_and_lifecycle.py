"""Unique and indexed custom fields, and the lifecycle operations on populated tables."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.registry import field_type
from rapport.models import Customer, table_of
from rapport.tenants import enter_tenant
from tests.conftest import App, Tenant
from tests.factories import populate_custom

DEFS = "{ customFieldDefinitions(includeArchived: true) { id key type indexStatus indexError version options { id value } } }"  # noqa: E501


async def _definition(tenant: Tenant, key: str) -> dict[str, Any]:
    found = await tenant.data(DEFS)
    return next(d for d in found["customFieldDefinitions"] if d["key"] == key)


async def _wait_ready(rapport: App, tenant: Tenant, key: str) -> dict[str, Any]:
    builder = rapport.app.state.rapport.index_builder
    await asyncio.wait_for(builder.drain(), 60)
    return await _definition(tenant, key)


async def _create_customer(tenant: Tenant, custom: str) -> dict[str, Any]:
    data = await tenant.data(
        f'mutation {{ customerCreate(input: {{kind: COMPANY, name: "X", custom: {{{custom}}}}}) '
        "{ customer { id } userErrors { code field message } } }"
    )
    payload: dict[str, Any] = data["customerCreate"]
    return payload


async def test_unique_field_refuses_duplicates_and_names_the_holder(rapport: App, tenant: Tenant) -> None:
    await tenant.add_field("CUSTOMER", "vatNumber", "TEXT", unique="true")
    first = await _create_customer(tenant, 'vatNumber: "CN-1"')
    assert first["userErrors"] == []
    second = await _create_customer(tenant, 'vatNumber: "CN-1"')
    assert second["customer"] is None
    (problem,) = second["userErrors"]
    assert problem["code"] == "DUPLICATE"
    assert problem["field"] == ["input", "custom", "vatNumber"]
    assert first["customer"]["id"] in problem["message"]
    assert (await _wait_ready(rapport, tenant, "vatNumber"))["indexStatus"] == "READY"


async def test_concurrent_creates_of_one_unique_value_have_one_winner(rapport: App, tenant: Tenant) -> None:
    await tenant.add_field("CUSTOMER", "passport", "TEXT", unique="true")
    results = await asyncio.gather(*(_create_customer(tenant, 'passport: "P-42"') for _ in range(12)))
    winners = [r for r in results if r["customer"]]
    assert len(winners) == 1
    assert all(r["userErrors"][0]["code"] == "DUPLICATE" for r in results if not r["customer"])


async def test_sortable_field_index_is_used(rapport: App, tenant: Tenant, owner_engine: AsyncEngine) -> None:
    await tenant.add_field("CUSTOMER", "score", "INTEGER", sortable="true", filterable="true")
    await populate_custom(owner_engine, tenant, 6000, "jsonb_build_object('score', (random() * 10000)::int)")
    assert (await _wait_ready(rapport, tenant, "score"))["indexStatus"] == "READY"
    score = FieldDefinition(id=uuid.uuid4(), entity="CUSTOMER", key="score", type="INTEGER", label="Score")
    expression = field_type("INTEGER").value_expr(table_of(Customer).c.custom, score)
    sql = str(expression.compile(dialect=postgresql.dialect()))  # type: ignore[no-untyped-call]
    async with owner_engine.begin() as conn:
        await conn.execute(text("ANALYZE customers"))
        await enter_tenant(conn, tenant.id)
        plan = (
            (
                await conn.execute(
                    text(
                        "EXPLAIN SELECT id FROM customers WHERE tenant_id = :t AND deleted_at IS NULL "
                        f"AND {sql} > 9990 ORDER BY {sql} LIMIT 20"
                    ),
                    {"t": tenant.id},
                )
            )
            .scalars()
            .all()
        )
    assert any("cf_customers_score_integer" in line for line in plan), plan


async def _custom_values(owner_engine: AsyncEngine, tenant: Tenant) -> list[dict[str, Any]]:
    async with owner_engine.begin() as conn:
        await enter_tenant(conn, tenant.id)
        rows = await conn.execute(
            text("SELECT custom FROM customers WHERE tenant_id = :t ORDER BY id"), {"t": tenant.id}
        )
        return [r[0] for r in rows]


async def test_rename_moves_every_value(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    field = await tenant.add_field("CUSTOMER", "oldName", "INTEGER")
    await populate_custom(owner_engine, tenant, 5000, "jsonb_build_object('oldName', (random() * 100)::int)")
    before = [c["oldName"] for c in await _custom_values(owner_engine, tenant)]
    payload = await tenant.mutate(
        'mutation($id: ID!) { customFieldUpdate(id: $id, input: {key: "newName"}) '
        "{ customField { key } userErrors { code field message } } }",
        {"id": field["id"]},
    )
    assert payload["customField"]["key"] == "newName"
    after = await _custom_values(owner_engine, tenant)
    assert [c["newName"] for c in after] == before
    assert not any("oldName" in c for c in after)
    data = await tenant.data(
        "{ customers(first: 2, orderBy: [{custom: NEW_NAME, direction: DESC}]) "
        "{ edges { node { custom { newName } } } } }"
    )
    assert data["customers"]["edges"][0]["node"]["custom"]["newName"] == max(before)


async def test_merge_options_remaps_values(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    field = await tenant.add_field(
        "CUSTOMER", "tier", "SELECT", options='[{label: "Gold"}, {label: "Silver"}, {label: "Bronze"}]'
    )
    ids = {o["value"]: o["id"] for o in field["options"]}
    await populate_custom(
        owner_engine,
        tenant,
        5000,
        "jsonb_build_object('tier', (ARRAY[CAST(:g AS text), :s, :b])[1 + (random() * 2)::int])",
        {"g": ids["GOLD"], "s": ids["SILVER"], "b": ids["BRONZE"]},
    )
    before = [c["tier"] for c in await _custom_values(owner_engine, tenant)]
    payload = await tenant.mutate(
        "mutation($id: ID!, $s: [String!]!, $t: String!) { customFieldMergeOptions(id: $id, sourceOptionIds: $s, "
        "targetOptionId: $t) { customField { options { value } } userErrors { code field message } } }",
        {"id": field["id"], "s": [ids["BRONZE"]], "t": ids["SILVER"]},
    )
    assert [o["value"] for o in payload["customField"]["options"]] == ["GOLD", "SILVER"]
    after = [c["tier"] for c in await _custom_values(owner_engine, tenant)]
    assert after == [ids["SILVER"] if v == ids["BRONZE"] else v for v in before]


async def test_change_type_dry_run_reports_and_refuses_partial_changes(
    tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    field = await tenant.add_field("CUSTOMER", "size", "TEXT")
    await populate_custom(owner_engine, tenant, 5000, "jsonb_build_object('size', ((random() * 40)::int)::text)")
    async with owner_engine.begin() as conn:
        await enter_tenant(conn, tenant.id)
        await conn.execute(
            text(
                'UPDATE customers SET custom = \'{"size": "large"}\' WHERE tenant_id = :t AND id = '
                "(SELECT id FROM customers WHERE tenant_id = :t ORDER BY id LIMIT 1)"
            ),
            {"t": tenant.id},
        )
    change = (
        "mutation($id: ID!, $dry: Boolean!) { customFieldChangeType(id: $id, type: INTEGER, dryRun: $dry) "
        "{ applied customField { type } report { total convertible failing samples { value problem } } "
        "userErrors { code } } }"
    )
    dry = (await tenant.data(change, {"id": field["id"], "dry": True}))["customFieldChangeType"]
    assert dry["report"]["total"] == 5000
    assert dry["report"]["failing"] == 1
    assert dry["report"]["samples"][0]["value"] == "large"
    real = (await tenant.data(change, {"id": field["id"], "dry": False}))["customFieldChangeType"]
    assert real["applied"] is False
    assert real["userErrors"] == [{"code": "INVALID_STATE"}]
    assert all(isinstance(c["size"], str) for c in await _custom_values(owner_engine, tenant))
    async with owner_engine.begin() as conn:
        await enter_tenant(conn, tenant.id)
        await conn.execute(
            text(
                "UPDATE customers SET custom = '{\"size\": \"7\"}' WHERE tenant_id = :t AND custom->>'size' = 'large'"
            ),
            {"t": tenant.id},
        )
    done = (await tenant.data(change, {"id": field["id"], "dry": False}))["customFieldChangeType"]
    assert done["applied"] is True
    assert done["customField"]["type"] == "INTEGER"
    assert all(isinstance(c["size"], int) for c in await _custom_values(owner_engine, tenant))


async def test_delete_purges_values(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    field = await tenant.add_field("CUSTOMER", "gone", "BOOLEAN")
    await populate_custom(owner_engine, tenant, 5000, "jsonb_build_object('gone', true, 'kept', 1)")
    data = await tenant.data(
        "mutation($id: ID!) { customFieldDelete(id: $id) { deletedId purgedValues userErrors { code } } }",
        {"id": field["id"]},
    )
    assert data["customFieldDelete"]["purgedValues"] == 5000
    values = await _custom_values(owner_engine, tenant)
    assert all(c == {"kept": 1} for c in values)


async def test_field_permissions(tenant: Tenant) -> None:
    await tenant.add_field("CUSTOMER", "salary", "INTEGER", visibleTo="[OWNER, ADMIN]")
    await tenant.add_field("CUSTOMER", "segment", "TEXT", editableBy="[OWNER, ADMIN]")
    member = await tenant.token_for("MEMBER")
    fields = await tenant.data('{ __type(name: "CustomerCustomFields") { fields { name } } }', token=member)
    assert [f["name"] for f in fields["__type"]["fields"]] == ["segment"]
    refused = await tenant.data(
        'mutation { customerCreate(input: {kind: PERSON, name: "M", custom: {segment: "a"}}) '
        "{ customer { id } userErrors { code field } } }",
        token=member,
    )
    assert refused["customerCreate"]["userErrors"] == [{"code": "FORBIDDEN", "field": ["input", "custom", "segment"]}]
    owner = await tenant.data('{ __type(name: "CustomerCustomFields") { fields { name } } }')
    assert [f["name"] for f in owner["__type"]["fields"]] == ["salary", "segment"]
