"""The floor statements return the same data as the API, for the read scenarios the tiny preset covers."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import compare, floor
from bench.generate import LoadReport
from bench.scenarios import SCENARIOS, BenchData, count_objects
from rapport.customfields.service import load_definitions
from rapport.db.database import Database
from rapport.tenants import enter_tenant, issue_token


@pytest.fixture(scope="session")
async def bench_data(tiny: LoadReport, owner_engine: AsyncEngine) -> BenchData:
    ref = tiny.tenants[0].ref
    async with owner_engine.begin() as conn:
        token = await issue_token(conn, ref, "ADMIN", name="bench test")
        await enter_tenant(conn, ref.id)
        found = await conn.execute(text("SELECT id FROM customers WHERE tenant_id = :t ORDER BY id"), {"t": ref.id})
        ids = list(found.scalars())
        definitions = {d.key: d for d in await load_definitions(conn, ref.id)}
    return BenchData("http://unused", token, ref.id, "USD", ids, definitions)


@pytest.mark.parametrize("name", ["summary", "list50", "nested"])
async def test_floor_returns_the_api_data(
    name: str, bench_data: BenchData, http: httpx.AsyncClient, database: Database
) -> None:
    scenario = SCENARIOS[name]
    variant = scenario.variants(bench_data, random.Random(1))[0]
    assert variant.floor is not None
    response = await http.post(
        "/graphql",
        json={"query": scenario.query, "variables": variant.variables},
        headers={"Authorization": f"Bearer {bench_data.token}"},
    )
    body: dict[str, Any] = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body
    spec = {
        "conninfo": database.app_url.set(drivername="postgresql").render_as_string(hide_password=False),
        "role": database.switch_to_role,
        "tenant": str(bench_data.tenant_id),
    }
    conn = await floor.connect(spec)
    try:
        answer = await floor.fetch_json(conn, floor.FLOOR_SQL[name], variant.floor)
    finally:
        await conn.close()
    api = compare.api_payload(name, body["data"])
    assert compare.differences(api, compare.floor_json(answer)) == []
    assert count_objects(api) >= (1 if name == "summary" else 20)
