"""Optimistic concurrency under load: many writers from one starting version, exactly one wins."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.conftest import Tenant
from tests.trust_writes.support import ERRORS, audit, create_customer

WRITERS = 50
UPDATE = (
    "mutation ($id: ID!, $v: Int!, $name: String!) { customerUpdate(id: $id, expectedVersion: $v, "
    f"input: {{name: $name, occupation: $name}}) {{ customer {{ id version name occupation }} {ERRORS} }} }}"
)


async def test_fifty_concurrent_updates_from_one_version(tenant: Tenant) -> None:
    customer = await create_customer(tenant, "Contended Carla")

    async def write(i: int) -> dict[str, Any]:
        data = await tenant.data(UPDATE, {"id": customer["id"], "v": customer["version"], "name": f"Writer {i:02d}"})
        payload: dict[str, Any] = data["customerUpdate"]
        return payload

    payloads = await asyncio.gather(*(write(i) for i in range(WRITERS)))
    winners = [p["customer"] for p in payloads if p["customer"] is not None]
    conflicts = [p for p in payloads if [e["code"] for e in p["userErrors"]] == ["CONFLICT"]]
    assert len(winners) == 1, winners
    assert len(conflicts) == WRITERS - 1
    assert all("current version is 2" in p["userErrors"][0]["message"] for p in conflicts)
    (winner,) = winners
    assert winner["version"] == customer["version"] + 1
    final = await tenant.data(
        "query ($id: ID!) { node(id: $id) { ... on Customer { version name occupation } } }", {"id": customer["id"]}
    )
    assert final["node"] == {"version": 2, "name": winner["name"], "occupation": winner["name"]}
    # One write, one audit entry: the losers left no trace.
    assert [e["action"] for e in await audit(tenant, customer["id"])] == ["UPDATE", "CREATE"]
