"""Soft delete, restore within the retention period, and ``rapport purge`` (children first, expired keys)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from rapport.db.database import Database
from rapport.purge import purge
from tests.conftest import Tenant
from tests.domain import helpers
from tests.trust_writes.support import ERRORS, audit, execute, rows, uuid_of

RAPPORT = str(Path(sys.executable).parent / "rapport")


async def _delete(tenant: Tenant, type_name: str, id_: str) -> None:
    field = type_name[0].lower() + type_name[1:]
    await tenant.mutate(f'mutation {{ {field}Delete(id: "{id_}") {{ deletedId {ERRORS} }} }}')


async def _restore(tenant: Tenant, type_name: str, id_: str) -> dict[str, Any]:
    field = type_name[0].lower() + type_name[1:]
    data = await tenant.data(f'mutation {{ {field}Restore(id: "{id_}") {{ {field} {{ id version }} {ERRORS} }} }}')
    payload: dict[str, Any] = data[f"{field}Restore"]
    return payload


async def _names(tenant: Tenant, prefix: str) -> list[str]:
    data = await tenant.data(
        "query ($p: String!) { customers(first: 100, filter: {name: {startsWith: $p}}) { edges { node { name "
        "contacts(first: 10) { edges { node { name } } } } } } }",
        {"p": prefix},
    )
    return sorted(
        [e["node"]["name"] for e in data["customers"]["edges"]]
        + [c["node"]["name"] for e in data["customers"]["edges"] for c in e["node"]["contacts"]["edges"]]
    )


async def test_restoring_a_customer_brings_back_the_contacts_deleted_with_it(tenant: Tenant) -> None:
    prefix = f"Restore {uuid.uuid4().hex[:6]}"
    company = await helpers.company(tenant, f"{prefix} Corp")
    kept = await helpers.contact(tenant, company, f"{prefix} Kim")
    earlier = await helpers.contact(tenant, company, f"{prefix} Ed")
    await _delete(tenant, "Contact", earlier)
    await _delete(tenant, "Customer", company)
    # Deleted rows are invisible everywhere: lists, filters, node, nested.
    assert await _names(tenant, prefix) == []
    assert await helpers.node(tenant, company) is None
    assert await helpers.node(tenant, kept) is None
    # A contact cannot come back before its customer.
    refused = await _restore(tenant, "Contact", kept)
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("INVALID_STATE", ["id"])]

    restored = await _restore(tenant, "Customer", company)
    assert restored["userErrors"] == []
    assert restored["customer"]["id"] == company
    assert await _names(tenant, prefix) == [f"{prefix} Corp", f"{prefix} Kim"]  # Ed was deleted before
    assert [e["action"] for e in await audit(tenant, kept)] == ["RESTORE", "DELETE", "CREATE"]
    again = await _restore(tenant, "Customer", company)
    assert again["userErrors"][0]["code"] == "INVALID_STATE"
    assert (await _restore(tenant, "Contact", earlier))["userErrors"] == []
    assert await _names(tenant, prefix) == [f"{prefix} Corp", f"{prefix} Ed", f"{prefix} Kim"]


async def test_restore_is_refused_after_the_retention_period(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    customer = await helpers.customer(tenant, "Long Gone")
    await _delete(tenant, "Customer", customer)
    await execute(
        owner_engine,
        tenant,
        "UPDATE customers SET deleted_at = now() - interval '31 days' WHERE id = :id",
        id=uuid_of(customer),
    )
    refused = await _restore(tenant, "Customer", customer)
    assert refused["customer"] is None
    assert refused["userErrors"][0]["code"] == "INVALID_STATE"
    assert "30 days" in refused["userErrors"][0]["message"]
    assert (await _restore(tenant, "Customer", helpers.global_id("Customer")))["userErrors"][0]["code"] == "NOT_FOUND"


async def test_other_entities_restore_too(tenant: Tenant) -> None:
    customer = await helpers.customer(tenant, "Restorable Rita")
    deal = await helpers.opportunity(tenant, customer, "Restorable deal")
    await _delete(tenant, "Opportunity", deal["id"])
    assert await helpers.node(tenant, deal["id"]) is None
    restored = await _restore(tenant, "Opportunity", deal["id"])
    assert restored["userErrors"] == []
    assert restored["opportunity"]["version"] == deal["version"] + 2  # the delete and the restore


async def _backdate(engine: AsyncEngine, tenant: Tenant, table: str, id_: str, days: float) -> None:
    await execute(
        engine,
        tenant,
        f"UPDATE {table} SET deleted_at = now() - make_interval(secs => :s) WHERE id = :id",
        s=days * 86400,
        id=uuid_of(id_),
    )


async def _exists(engine: AsyncEngine, tenant: Tenant, table: str, id_: str) -> bool:
    found = await rows(engine, tenant, f"SELECT 1 FROM {table} WHERE id = :id", id=uuid_of(id_))
    return bool(found)


async def test_purge_removes_what_is_older_than_the_retention(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    old = await helpers.company(tenant, "Old Corp")
    old_contact = await helpers.contact(tenant, old, "Old Contact")
    recent = await helpers.customer(tenant, "Recent Rob")
    alive = await helpers.customer(tenant, "Alive Al")
    with_order = await helpers.customer(tenant, "Ordering Olga")
    order = await helpers.paid_order(tenant, with_order, "20.00")
    deleted_order_customer = await helpers.customer(tenant, "Deleted Order Dora")
    deleted_order = await helpers.paid_order(tenant, deleted_order_customer, "30.00")
    for type_name, id_ in (
        ("Customer", old),
        ("Customer", recent),
        ("Customer", with_order),
        ("Order", deleted_order["id"]),
        ("Customer", deleted_order_customer),
    ):
        await _delete(tenant, type_name, id_)
    for table, id_ in (
        ("customers", old),
        ("contacts", old_contact),
        ("customers", with_order),
        ("orders", deleted_order["id"]),
        ("customers", deleted_order_customer),
    ):
        await _backdate(owner_engine, tenant, table, id_, 40)
    await _backdate(owner_engine, tenant, "customers", recent, 2)

    removed = await purge(owner_engine, dt.timedelta(days=30), [tenant.id])

    assert not await _exists(owner_engine, tenant, "customers", old)
    assert not await _exists(owner_engine, tenant, "contacts", old_contact)  # children first
    assert not await _exists(owner_engine, tenant, "orders", deleted_order["id"])
    assert not await _exists(owner_engine, tenant, "customers", deleted_order_customer)
    left = await rows(
        owner_engine,
        tenant,
        "SELECT count(*) AS n FROM order_items WHERE order_id = :id",
        id=uuid_of(deleted_order["id"]),
    )
    assert left[0].n == 0, "an order's lines go with it"
    assert await _exists(owner_engine, tenant, "customers", recent)  # within the retention period
    assert await _exists(owner_engine, tenant, "customers", alive)
    assert await _exists(owner_engine, tenant, "customers", with_order)  # a live order still points at it
    assert await _exists(owner_engine, tenant, "orders", order["id"])
    assert removed["customers"] == 2
    assert removed["contacts"] == 1
    assert removed["orders"] == 1
    assert removed["order_items"] == 1
    purged = await rows(
        owner_engine, tenant, "SELECT action, changes FROM audit_log WHERE entity_id = :id ORDER BY id", id=uuid_of(old)
    )
    assert [r.action for r in purged] == ["CREATE", "DELETE", "UPDATE", "PURGE"]  # UPDATE: the test's backdating
    assert purged[-1].changes == {}
    # Nothing to restore any more.
    assert (await _restore(tenant, "Customer", old))["userErrors"][0]["code"] == "NOT_FOUND"

    # A shorter retention (the setting) reaches the recent one too.
    await purge(owner_engine, dt.timedelta(days=1), [tenant.id])
    assert not await _exists(owner_engine, tenant, "customers", recent)


async def test_purge_removes_expired_idempotency_keys(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    for key in ("fresh", "stale"):
        await tenant.post(
            'mutation { customerCreate(input: {kind: PERSON, name: "Keyed"}) { customer { id } } }',
            headers={"Idempotency-Key": key},
        )
    await execute(
        owner_engine,
        tenant,
        "UPDATE idempotency_keys SET expires_at = now() - interval '1 hour' WHERE tenant_id = :t AND key = 'stale'",
        t=tenant.id,
    )
    removed = await purge(owner_engine, dt.timedelta(days=30), [tenant.id])
    assert removed["idempotency_keys"] == 1
    left = await rows(owner_engine, tenant, "SELECT key FROM idempotency_keys WHERE tenant_id = :t", t=tenant.id)
    assert [r.key for r in left] == ["fresh"]


async def _command(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        RAPPORT, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_purge_command(tenant: Tenant, owner_engine: AsyncEngine, database: Database) -> None:
    customer = await helpers.customer(tenant, "Cli Purged")
    await _delete(tenant, "Customer", customer)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env["RAPPORT_DATABASE_URL"] = database.owner_url.render_as_string(hide_password=False)
    env["RAPPORT_DELETE_RETENTION_DAYS"] = "0"
    code, out, err = await _command(env, "purge", "--tenant", str(tenant.id), "--json")
    assert code == 0, err
    report = json.loads(out.strip().splitlines()[-1])
    assert report["retention_days"] == 0
    assert report["removed"]["customers"] == 1
    assert not await _exists(owner_engine, tenant, "customers", customer)
    code, _, _ = await _command(env, "purge", "--retention-days", "-1")
    assert code != 0
