"""The custom-field figures issue 4 asks for, printed as a small report.

``.venv/bin/python -m bench.customfield_figures [--customers 200000] [--requests 30] [--runs 30]``

1. Schema build time (``build_tenant_schema``) for tenants with 50, 200 and 500 custom fields of every type,
   spread over every customizable entity: the first build after the base schema is warm ("cold") and the
   median of ``--runs`` further builds.
2. On one tenant of ``--customers`` customers (COPY-loaded, customers only) with an INTEGER and a DATE field:
   filter and sort, first without and then with the expression index. For each query: the API's p50 over
   ``--requests`` requests (in process, over httpx's ASGI transport: no network) and PostgreSQL's
   EXPLAIN ANALYZE execution time of the very statement the API sent (median of 5), planned as the app role
   (under row-level security, as the API runs it) and as the owner (which may bypass it).
3. Rename and type change (INTEGER -> DECIMAL, dry run and real) on that tenant, in rows per second,
   through the API.

Uses RAPPORT_DATABASE_URL when set, else a throwaway embedded PostgreSQL. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.generate import COLUMNS, Copier, bypasses_rls
from rapport.app import create_app
from rapport.config import Settings
from rapport.customfields.definition import FieldDefinition, schema_fingerprint
from rapport.customfields.service import build_config
from rapport.db import migrate
from rapport.db.database import Database, open_database
from rapport.ids import new_id
from rapport.schema.base import base_schema
from rapport.schema.cache import plain_schema
from rapport.schema.entities import CUSTOMIZABLE
from rapport.schema.tenant import build_tenant_schema
from rapport.tenants import create_tenant, enter_tenant

OPTIONS = {"options": [{"label": label} for label in ("Alpha", "Beta", "Gamma", "Delta")]}
EVERY_TYPE: list[tuple[str, dict[str, Any]]] = [
    ("TEXT", {"maxLength": 200}),
    ("LONG_TEXT", {}),
    ("INTEGER", {"min": 0}),
    ("DECIMAL", {"scale": 2}),
    ("PERCENT", {}),
    ("RATING", {"max": 5}),
    ("MONEY", {"currency": "CNY"}),
    ("BOOLEAN", {}),
    ("DATE", {}),
    ("DATETIME", {}),
    ("EMAIL", {}),
    ("PHONE", {}),
    ("URL", {}),
    ("SELECT", OPTIONS),
    ("MULTI_SELECT", OPTIONS),
    ("REFERENCE", {"target": "CUSTOMER"}),
    ("JSON", {}),
]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# --- 1. schema builds ----------------------------------------------------------------------------------------


def definitions(count: int) -> list[FieldDefinition]:
    """``count`` definitions cycling through every type, spread over every customizable entity."""
    entities = sorted(CUSTOMIZABLE)
    made = []
    for n in range(count):
        type_name, settings = EVERY_TYPE[n % len(EVERY_TYPE)]
        draft = FieldDefinition(
            id=uuid.UUID(int=n + 1),
            entity=entities[n % len(entities)],
            key=f"f{type_name.title().replace('_', '')}{n:03d}",
            type=type_name,
            label=f"Field {n}",
            position=n,
        )
        made.append(replace(draft, config=build_config(draft, dict(settings))))
    return made


def schema_builds(runs: int) -> None:
    base_schema()
    plain_schema()  # the base schema and the copier's type lists are warm; tenant builds are not
    print(f"Schema build (build_tenant_schema, OWNER; median of {runs} builds after the first)")
    for count in (50, 200, 500):
        made = definitions(count)
        fingerprint = schema_fingerprint(made)
        started = time.perf_counter()
        build_tenant_schema(made, fingerprint)
        cold = time.perf_counter() - started
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            build_tenant_schema(made, fingerprint)
            times.append(time.perf_counter() - started)
        print(f"  {count:>3} fields: cold {ms(cold)}, median {ms(statistics.median(times))}, max {ms(max(times))}")


# --- 2. a large tenant -----------------------------------------------------------------------------------------


async def load(engine: AsyncEngine, customers: int) -> tuple[Any, str]:
    """A tenant with ``customers`` customers holding `score` (INTEGER, 90%) and `signupDate` (DATE, all)."""
    rng = random.Random(4)
    started = time.perf_counter()
    async with engine.begin() as conn:
        created = await create_tenant(conn, "Custom field figures", slug=f"cf-figures-{uuid.uuid4().hex[:8]}")
        await enter_tenant(conn, created.tenant.id)
        direct = await bypasses_rls(conn)
        if direct:  # a superuser skips the audit trigger for the bulk load (one audit row per row otherwise)
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        copier = Copier(raw, direct)
        now = dt.datetime.now(dt.UTC)
        for start in range(0, customers, 10_000):
            rows = []
            for n in range(start, min(customers, start + 10_000)):
                custom: dict[str, Any] = {
                    "signupDate": (dt.date(2018, 1, 1) + dt.timedelta(days=rng.randrange(3000))).isoformat()
                }
                if rng.random() < 0.9:
                    custom["score"] = rng.randrange(10_000)
                values = {
                    "tenant_id": created.tenant.id,
                    "id": new_id(),
                    "kind": "PERSON",
                    "name": f"Customer {n}",
                    "tags": [],
                    "owner_id": created.owner_id,
                    "custom": orjson.dumps(custom).decode(),
                    "created_at": now,
                    "updated_at": now,
                }
                rows.append(tuple(values.get(column) for column in COLUMNS["customers"]))
            await copier.write("customers", rows)
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("ANALYZE customers"))
    print(f"  loaded {customers:,} customers in {time.perf_counter() - started:.1f} s (COPY, direct={direct})")
    return created.tenant, created.token


class Api:
    """The app in process; requests as the tenant's owner."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://figures", timeout=600)
        self.token = token

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        body = response.json()
        if body.get("errors"):
            raise RuntimeError(json.dumps(body["errors"])[:500])
        result: dict[str, Any] = body["data"]
        return result

    async def sent_statement(self, query: str) -> tuple[str, Any]:
        """The customers SELECT the API sends for ``query`` (statement and parameters)."""
        engine = self.app.state.rapport.executor.engine.sync_engine
        sent: list[tuple[str, Any]] = []

        def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
            if statement.lstrip().startswith("SELECT customers.tenant_id"):
                sent.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", capture)
        try:
            await self.data(query)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        return sent[0]


QUERIES = {
    "INTEGER filter (score >= 9990)": (
        "{ customers(first: 20, filter: {custom: {score: {gte: 9990}}}) { nodes { id } } }"
    ),
    "INTEGER sort (score DESC)": (
        "{ customers(first: 20, orderBy: [{custom: SCORE, direction: DESC}]) { nodes { id } } }"
    ),
    "DATE filter (one week)": (
        '{ customers(first: 20, filter: {custom: {signupDate: {gte: "2024-05-01", lt: "2024-05-08"}}}) '
        "{ nodes { id } } }"
    ),
    "DATE sort (signupDate ASC)": "{ customers(first: 20, orderBy: [{custom: SIGNUP_DATE}]) { nodes { id } } }",
}


async def explain_ms(
    owner: AsyncEngine, tenant_id: uuid.UUID, statement: str, parameters: Any, role: str | None
) -> tuple[float, bool]:
    """Median EXPLAIN ANALYZE execution time of the statement (5 runs) as ``role`` (None: the owner, which
    may bypass row-level security), and whether a custom-field index serves it."""
    times, indexed = [], False
    for _ in range(5):
        async with owner.begin() as conn:
            if role:
                await conn.execute(text(f'SET LOCAL ROLE "{role}"'))
            await enter_tenant(conn, tenant_id)
            found = await conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
            plan = found.scalar_one()[0]
        times.append(plan["Execution Time"])
        indexed = '"Index Name": "cf_' in json.dumps(plan)
    return statistics.median(times), indexed


async def query_figures(api: Api, owner: AsyncEngine, tenant_id: uuid.UUID, requests: int, label: str) -> None:
    print(f"  {label}:")
    print(f"    {'':<30} {'API p50':>9}   EXPLAIN ANALYZE as the app role | as the owner (RLS bypassed)")
    role = api.app.state.rapport.settings.app_role
    for name, query in QUERIES.items():
        await api.data(query)  # warm: schema built, statement prepared
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            await api.data(query)
            times.append(time.perf_counter() - started)
        statement, parameters = await api.sent_statement(query)
        figures = []
        for as_role in (role, None):
            execution, indexed = await explain_ms(owner, tenant_id, statement, parameters, as_role)
            figures.append(f"{execution:8.2f} ms {'(cf_ index)' if indexed else '(no index) '}")
        print(f"    {name:<30} {ms(statistics.median(times)):>9}   {figures[0]} | {figures[1]}")


FIELD = (
    "mutation($input: CustomFieldCreateInput!) { customFieldCreate(input: $input) "
    "{ customField { id } userErrors { message } } }"
)
UPDATE = (
    "mutation($id: ID!, $input: CustomFieldUpdateInput!) { customFieldUpdate(id: $id, input: $input) "
    "{ customField { id key } userErrors { message } } }"
)
CHANGE = (
    "mutation($id: ID!, $dry: Boolean!) { customFieldChangeType(id: $id, type: DECIMAL, dryRun: $dry) "
    "{ applied report { total convertible } userErrors { message } } }"
)


async def tenant_figures(database: Database, settings: Settings, customers: int, requests: int) -> None:
    owner = database.owner_engine()
    print(f"Tenant with {customers:,} customers")
    tenant, token = await load(owner, customers)
    app = create_app(settings, database)
    await app.state.rapport.start()
    api = Api(app, token)
    try:
        ids = {}
        for key, type_name in (("score", "INTEGER"), ("signupDate", "DATE")):
            made = await api.data(FIELD, {"input": {"entity": "CUSTOMER", "key": key, "type": type_name, "label": key}})
            ids[key] = made["customFieldCreate"]["customField"]["id"]
        await query_figures(api, owner, tenant.id, requests, "without expression indexes (GIN on custom only)")
        started = time.perf_counter()
        for field_id in ids.values():
            await api.data(UPDATE, {"id": field_id, "input": {"filterable": True, "sortable": True}})
        await app.state.rapport.index_builder.drain()
        print(f"  both indexes built (CREATE INDEX CONCURRENTLY) in {time.perf_counter() - started:.1f} s")
        async with owner.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("ANALYZE customers"))
        await query_figures(api, owner, tenant.id, requests, "with expression indexes")

        async with owner.begin() as conn:
            await enter_tenant(conn, tenant.id)
            rows = (await conn.execute(text("SELECT count(*) FROM customers WHERE custom ? 'score'"))).scalar_one()
        print(f"Lifecycle on {rows:,} stored values (batches of 1,000, audit trigger on, through the API)")
        for label, query, variables in (
            ("rename score -> legacyScore", UPDATE, {"id": ids["score"], "input": {"key": "legacyScore"}}),
            ("change type INTEGER -> DECIMAL, dry run", CHANGE, {"id": ids["score"], "dry": True}),
            ("change type INTEGER -> DECIMAL", CHANGE, {"id": ids["score"], "dry": False}),
        ):
            started = time.perf_counter()
            result = await api.data(query, variables)
            elapsed = time.perf_counter() - started
            (payload,) = result.values()
            assert not payload["userErrors"], payload
            print(f"  {label:<42} {elapsed:6.1f} s  {rows / elapsed:>9,.0f} rows/s")
    finally:
        await api.client.aclose()
        await app.state.rapport.stop()
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; PostgreSQL and the app share them (other work on the machine skews figures)")
    schema_builds(args.runs)
    url = os.environ.get("RAPPORT_DATABASE_URL")
    settings = Settings(env="development", database_url=url, demo=False)
    if url:
        database = open_database(settings)
    else:
        database = open_database(settings, data_dir=Path(tempfile.mkdtemp(prefix="cf-figures-")), temporary=True)
    try:
        migrate.upgrade(database.owner_url)
        asyncio.run(tenant_figures(database, settings, args.customers, args.requests))
    finally:
        database.close()


if __name__ == "__main__":
    main()
