"""The leakproof accessors for custom values: they never fail, and under row-level security their ranges and
keyset bounds are index conditions (the plans are the API's own statements, planned as the API's role)."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rapport.customfields import accessors
from rapport.customfields.definition import FieldDefinition
from rapport.customfields.indexes import btree_name
from rapport.tenants import enter_tenant
from tests.conftest import App, Tenant
from tests.customfields.test_new_types import api_plan, indexed_tenant, indexes_built_and_analyzed
from tests.factories import populate_custom

# (type, settings, the value of record n as SQL, a filter matching the last ten or so of 6,000 records)
INDEXED: list[tuple[str, dict[str, Any], str, str]] = [
    ("INTEGER", {}, "to_jsonb(n)", "{gte: 5990}"),
    ("DATE", {}, "to_jsonb(to_char(date '2020-01-01' + n::int, 'YYYY-MM-DD'))", '{gte: "2036-05-20"}'),
    ("TEXT", {}, "to_jsonb('v' || lpad(n::text, 5, '0'))", ""),  # text has no range filters
]
IDS = [i[0] for i in INDEXED]
RANGES = [i for i in INDEXED if i[3]]


def price_index(index: str) -> str:
    """What the plans may use: fields of other types under the same key (an earlier test's, in this shared
    table) can have an index on the same expression, named after their type; either serves."""
    return index[: index.index("_price_") + len("_price_")]


def index_condition(plan: str, index: str) -> str:
    """The Index Cond of the scan on an index named ``index``... (empty when it has none)."""
    lines = plan.splitlines()
    scans = [i for i, line in enumerate(lines) if f"using {index}" in line or f"on {index}" in line]
    assert scans, plan
    start = scans[0]
    for line in lines[start + 1 :]:
        if "Index Cond:" in line:
            return line
        if "->" in line:
            break
    return ""


async def test_the_embedded_database_has_leakproof_accessors(owner_engine: AsyncEngine) -> None:
    async with owner_engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT proname, proleakproof, l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang "
                "WHERE proname LIKE 'rapport_custom_%' ORDER BY proname"
            )
        )
        assert [tuple(r) for r in rows] == [
            ("rapport_custom_amount_float8", True, "plpgsql"),
            ("rapport_custom_bigint", True, "plpgsql"),
            ("rapport_custom_float8", True, "plpgsql"),
            ("rapport_custom_text", True, "internal"),
        ]


ODD_DOCUMENTS = [
    ("{}", None, None),
    ('{"k": null}', None, None),
    ('{"k": "high"}', "high", None),
    ('{"k": 12}', "12", 12),
    ('{"k": -7}', "-7", -7),
    ('{"k": 1.5}', "1.5", None),
    ('{"k": 1e30}', "1000000000000000000000000000000", None),
    ('{"k": "999999999999999999"}', "999999999999999999", 999_999_999_999_999_999),
    ('{"k": "9999999999999999999"}', "9999999999999999999", None),  # beyond bigint: NULL, never an error
    ('{"k": [1, 2]}', "[1, 2]", None),
    ('{"k": {"amount": "1"}}', '{"amount": "1"}', None),
    ('{"k": true}', "true", None),
    ("[1, 2]", None, None),
    ('"k"', None, None),
    # Numbers whose text is, or is not, 1-18 digits (the PL/pgSQL bigint accessor reads numbers without text)
    ('{"k": 0}', "0", 0),
    ('{"k": -0}', "0", 0),
    ('{"k": 1.0}', "1.0", None),
    ('{"k": 1e2}', "100", 100),
    ('{"k": 1.5e1}', "15", 15),
    ('{"k": 100e-2}', "1.00", None),
    ('{"k": 999999999999999999}', "999999999999999999", 999_999_999_999_999_999),
    ('{"k": -999999999999999999}', "-999999999999999999", -999_999_999_999_999_999),
    ('{"k": 1000000000000000000}', "1000000000000000000", None),
    ('{"k": "-12"}', "-12", -12),
    ('{"k": "+12"}', "+12", None),
    ('{"k": " 12"}', " 12", None),
    ('{"k": "1.0"}', "1.0", None),
    ('{"k": ""}', "", None),
    ('{"k": false}', "false", None),
]


@pytest.mark.parametrize(("document", "as_text", "as_bigint"), ODD_DOCUMENTS)
async def test_accessors_never_fail(owner_engine: AsyncEngine, document: str, as_text: Any, as_bigint: Any) -> None:
    """LEAKPROOF promises no error depends on the value: any JSON gives a value or NULL."""
    async with owner_engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT rapport_custom_text(CAST(:d AS jsonb), 'k'), rapport_custom_bigint(CAST(:d AS jsonb), 'k')"
                ),
                {"d": document},
            )
        ).one()
    assert tuple(row) == (as_text, as_bigint)


# (document, rapport_custom_float8(document, 'k'), rapport_custom_amount_float8(document, 'k'))
DECIMAL_DOCUMENTS = [
    ('{"k": "12.5"}', 12.5, None),
    ('{"k": 12.5}', 12.5, None),
    ('{"k": "-0.10000000000000000001"}', -0.1, None),
    ('{"k": "99999999999999999999999999999999999999"}', 1e38, None),
    ('{"k": "999999999999999999999999999999999999999"}', None, None),  # 39 digits: never canonical
    ('{"k": "0.00000000000000000000000000000000000001"}', 1e-38, None),
    ('{"k": 1e30}', 1e30, None),
    ('{"k": 1e-5}', 0.00001, None),
    ('{"k": "1e5"}', None, None),
    ('{"k": "NaN"}', None, None),
    ('{"k": "Infinity"}', None, None),
    ('{"k": "12,5"}', None, None),
    ('{"k": "12."}', None, None),
    ('{"k": ".5"}', None, None),
    ('{"k": {"amount": "7.25", "currency": "EUR"}}', None, 7.25),
    ('{"k": {"amount": 7.25}}', None, 7.25),
    ('{"k": {"amount": "lots"}}', None, None),
    ('{"k": {"amount": ["1"]}}', None, None),
    ('{"k": ["amount"]}', None, None),
    ('{"k": "amount"}', None, None),
    ('{"k": 3}', 3.0, None),
]


@pytest.mark.parametrize(("document", "as_float", "as_amount"), DECIMAL_DOCUMENTS)
async def test_float8_accessors_never_fail(
    owner_engine: AsyncEngine, document: str, as_float: float | None, as_amount: float | None
) -> None:
    async with owner_engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT rapport_custom_float8(CAST(:d AS jsonb), 'k'), "
                    "rapport_custom_amount_float8(CAST(:d AS jsonb), 'k')"
                ),
                {"d": document},
            )
        ).one()
    assert tuple(row) == (as_float, as_amount)


@pytest.mark.parametrize("accessor", accessors.ACCESSORS, ids=lambda a: a.name)
async def test_leakproof_definitions_return_what_their_expressions_do(
    owner_engine: AsyncEngine, accessor: accessors.Accessor
) -> None:
    """The indexes on the accessors hold their results: a faster definition must not change one."""
    documents = [d for d, _, _ in ODD_DOCUMENTS] + [d for d, _, _ in DECIMAL_DOCUMENTS] + [None]
    reference = f"SELECT {accessor.body.replace('doc', 'CAST(:d AS jsonb)').replace('key', ':k')}"
    async with owner_engine.connect() as conn:
        for document in documents:
            for key in ("k", "absent", None):
                args = {"d": document, "k": key}
                called = f"SELECT {accessor.name}(CAST(:d AS jsonb), CAST(:k AS text))"
                expected = (await conn.execute(text(reference), args)).scalar()
                assert (await conn.execute(text(called), args)).scalar() == expected, (document, key)


async def test_install_brings_an_outdated_leakproof_definition_up_to_date(owner_engine: AsyncEngine) -> None:
    async with owner_engine.connect() as conn:
        transaction = await conn.begin()
        try:
            await conn.execute(text("ALTER FUNCTION rapport_custom_bigint(jsonb, text) COST 1"))
            # The earlier leakproof text accessor: PL/pgSQL around ->>
            await conn.execute(
                text(
                    "CREATE OR REPLACE FUNCTION rapport_custom_text(doc jsonb, key text) RETURNS text "
                    "LANGUAGE plpgsql IMMUTABLE LEAKPROOF PARALLEL SAFE COST 1 "
                    "AS $fn$ BEGIN RETURN doc ->> key; END $fn$"
                )
            )
            assert await conn.run_sync(accessors.install) is True
            rows = await conn.execute(
                text(
                    "SELECT proname, l.lanname, procost FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang "
                    "WHERE proname LIKE 'rapport_custom_%' ORDER BY proname"
                )
            )
            assert [tuple(r) for r in rows] == [
                ("rapport_custom_amount_float8", "plpgsql", 4),
                ("rapport_custom_bigint", "plpgsql", 4),
                ("rapport_custom_float8", "plpgsql", 4),
                ("rapport_custom_text", "internal", 1),
            ]
        finally:
            await transaction.rollback()


async def test_a_migration_without_a_superuser_inlines_them_and_a_superuser_upgrades_them(
    owner_engine: AsyncEngine,
) -> None:
    role = f"rapport_migrator_{uuid.uuid4().hex[:8]}"
    async with owner_engine.connect() as conn:
        transaction = await conn.begin()
        try:
            for accessor in accessors.ACCESSORS:  # dropped and re-made inside this transaction only
                await conn.execute(text(f"DROP FUNCTION {accessor.name}(jsonb, text) CASCADE"))
            await conn.execute(text(f"CREATE ROLE {role} NOSUPERUSER"))
            await conn.execute(text(f"GRANT CREATE ON SCHEMA public TO {role}"))
            await conn.execute(text(f"SET LOCAL ROLE {role}"))
            assert await conn.run_sync(accessors.install) is False
            await conn.execute(text("RESET ROLE"))
            languages = (
                "SELECT DISTINCT (l.lanname, p.proleakproof)::text FROM pg_proc p "
                "JOIN pg_language l ON l.oid = p.prolang WHERE proname LIKE 'rapport_custom_%'"
            )
            assert list((await conn.execute(text(languages))).scalars()) == ["(sql,f)"]
            # Inlined, the plain versions are the expressions they stand for: same answers, and an index on
            # the function is an index on the expression, which queries spelling either can use.
            value = "SELECT rapport_custom_bigint('{\"k\": \"41\"}', 'k') + 1"
            assert (await conn.execute(text(value))).scalar() == 42
            await conn.execute(
                text("CREATE INDEX accessor_probe ON customers (tenant_id, rapport_custom_text(custom, 'probe'))")
            )
            # Only an index on the expression can give the order without a sort (whatever the table holds).
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                await conn.execute(text(f"SET LOCAL {setting} = off"))
            sorted_by = (
                "EXPLAIN SELECT id FROM customers WHERE tenant_id = '00000000-0000-0000-0000-000000000000' "
                "ORDER BY {} LIMIT 1"
            )
            for spelling in ("rapport_custom_text(custom, 'probe')", "custom ->> 'probe'"):
                plan = "\n".join((await conn.execute(text(sorted_by.format(spelling)))).scalars())
                assert "accessor_probe" in plan, plan
            assert await conn.run_sync(accessors.install) is True
            assert sorted((await conn.execute(text(languages))).scalars()) == ["(internal,t)", "(plpgsql,t)"]
            assert (await conn.execute(text(value))).scalar() == 42
            # The index survives the upgrade in place. (Its plans are not asked again here: the transaction that
            # created the index keeps the expressions it first read, inlined. Other sessions read them again.)
            definition = "SELECT pg_get_indexdef('accessor_probe'::regclass)"
            assert "rapport_custom_text(custom, 'probe'" in (await conn.execute(text(definition))).scalar_one()
            assert await conn.run_sync(accessors.install) is True  # and again: nothing to do
        finally:
            await transaction.rollback()


async def filter_conditions(
    rapport: App, settings: Any, tenant: Tenant, owner_engine: Any, case: tuple[str, dict[str, Any], str, str]
) -> list[tuple[str, str]]:
    """(Index Cond, plan) of the price index for ``filter: {custom: {price: operand}}``, resolvers and compiled.

    Sorted by the field, so the plan scans its index whatever the statistics (shared by every tenant in this
    table) say; the filter must then be where the scan starts, not a filter on every row it reads."""
    type_, given, value_sql, operand = case
    index = price_index(await indexed_tenant(rapport, tenant, owner_engine, type_, given, value_sql))
    query = (
        f"{{ customers(first: 20, filter: {{custom: {{price: {operand}}}}}, orderBy: [{{custom: PRICE}}]) "
        "{ nodes { name } } }"
    )
    conditions = []
    for compiled in (False, True):
        plan = await api_plan(rapport, tenant, owner_engine, settings.app_role, query, compiled=compiled)
        conditions.append((index_condition(plan, index), plan))
    return conditions


@pytest.mark.parametrize("case", RANGES, ids=[r[0] for r in RANGES])
async def test_range_filters_are_index_conditions(
    rapport: App, settings: Any, tenant: Tenant, owner_engine: Any, case: tuple[str, dict[str, Any], str, str]
) -> None:
    for condition, plan in await filter_conditions(rapport, settings, tenant, owner_engine, case):
        assert "rapport_custom_" in condition, plan
        assert ">" in condition, plan


EQUALITIES: list[tuple[str, dict[str, Any], str, str]] = [
    ("INTEGER", {}, "to_jsonb(n)", "{eq: 5990}"),
    ("DATE", {}, "to_jsonb(to_char(date '2020-01-01' + n::int, 'YYYY-MM-DD'))", '{in: ["2036-05-20", "2036-05-21"]}'),
    ("TEXT", {}, "to_jsonb('v' || lpad(n::text, 5, '0'))", '{eq: "v05990"}'),
]


@pytest.mark.parametrize("case", EQUALITIES, ids=[e[0] for e in EQUALITIES])
async def test_equality_filters_are_index_conditions(
    rapport: App, settings: Any, tenant: Tenant, owner_engine: Any, case: tuple[str, dict[str, Any], str, str]
) -> None:
    """Equality compares the accessor's value (JSONB containment is not leakproof, so no index could serve it)."""
    for condition, plan in await filter_conditions(rapport, settings, tenant, owner_engine, case):
        assert "rapport_custom_" in condition, plan
        assert "=" in condition.split("rapport_custom_", 1)[1], plan


async def test_a_filterable_select_has_an_index_its_equality_uses(
    rapport: App, settings: Any, tenant: Tenant, owner_engine: Any
) -> None:
    field = await tenant.add_field(
        "CUSTOMER", "price", "SELECT", filterable="true", options='[{label: "Rare"}, {label: "Common"}]'
    )
    rare, common = (o["id"] for o in field["options"])
    await populate_custom(
        owner_engine,
        tenant,
        6000,
        "jsonb_build_object('price', "
        "CASE WHEN random() < 0.002 THEN CAST(:rare AS text) ELSE CAST(:common AS text) END)",
        {"rare": rare, "common": common},
    )
    await indexes_built_and_analyzed(rapport, owner_engine)
    definition = FieldDefinition(id=uuid.uuid4(), entity="CUSTOMER", key="price", type="SELECT", label="Price")
    query = "{ customers(first: 20, filter: {custom: {price: {eq: RARE}}}) { nodes { name } } }"
    for compiled in (False, True):
        plan = await api_plan(rapport, tenant, owner_engine, settings.app_role, query, compiled=compiled)
        condition = index_condition(plan, price_index(btree_name(definition)))
        assert f"rapport_custom_text(custom, 'price'::text) = '{rare}'" in condition, plan


@pytest.mark.parametrize(("type_", "given", "value_sql", "operand"), INDEXED, ids=IDS)
async def test_a_later_page_starts_in_the_index_where_the_last_one_ended(
    rapport: App, settings: Any, tenant: Tenant, owner_engine: Any, type_: str, given: Any, value_sql: str, operand: str
) -> None:
    index = price_index(await indexed_tenant(rapport, tenant, owner_engine, type_, given, value_sql))
    first = "{ customers(first: 20, orderBy: [{custom: PRICE, direction: DESC}]) { pageInfo { endCursor } } }"
    after = (await tenant.data(first))["customers"]["pageInfo"]["endCursor"]
    query = (
        f'{{ customers(first: 20, after: "{after}", orderBy: [{{custom: PRICE, direction: DESC}}]) '
        "{ nodes { name } } }"
    )
    for compiled in (False, True):
        plan = await api_plan(rapport, tenant, owner_engine, settings.app_role, query, compiled=compiled)
        assert f"Index Scan Backward using {index}" in plan, plan
        assert "<=" in index_condition(plan, index), plan


async def test_a_page_reads_no_further_group_of_equal_sort_values(
    rapport: App, settings: Any, tenant: Tenant, owner_engine: Any
) -> None:
    """The index orders dates only; rows of one date are sorted by id as they are read (an incremental sort).
    A page that ends with a date's last row must not read the next date's rows: the newest date has exactly
    the page and its look-ahead row (10), the next one 91."""
    value = "to_jsonb(to_char(date '2020-01-01' + CASE WHEN n > 5990 THEN 100 ELSE (n / 100)::int END, 'YYYY-MM-DD'))"
    index = price_index(await indexed_tenant(rapport, tenant, owner_engine, "DATE", {}, value))
    query = (
        "{ customers(first: 9, orderBy: [{custom: PRICE, direction: DESC}]) "
        "{ nodes { name } pageInfo { hasNextPage endCursor } } }"
    )
    for compiled in (False, True):
        plan = await api_plan(rapport, tenant, owner_engine, settings.app_role, query, compiled=compiled, analyze=True)
        scan = next(line for line in plan.splitlines() if f"Index Scan Backward using {index}" in line)
        read = int(re.search(r"actual time=\S+ rows=(\d+)", scan).group(1))  # type: ignore[union-attr]
        assert read <= 11, plan  # the page, its look-ahead row, and the row that ends their date


@pytest.mark.parametrize(("direction", "common", "stored"), [("DESC", None, "NULL"), ("ASC", 0, "to_jsonb(0)")])
async def test_a_page_inside_a_large_group_of_equal_values_walks_the_index(
    rapport: App, settings: Any, tenant: Tenant, owner_engine: Any, direction: str, common: Any, stored: str
) -> None:
    """Nine records in ten share one sort value (none, which sorts first descending; or 0, first ascending), a
    group that pages order by id. The index holds the id after the value, so a page inside that group is read
    in order, not sorted with the whole group."""
    value = f"CASE WHEN n % 10 = 0 THEN to_jsonb(n) ELSE {stored} END"
    index = price_index(await indexed_tenant(rapport, tenant, owner_engine, "INTEGER", {}, value))
    order = f"orderBy: [{{custom: PRICE, direction: {direction}}}]"
    first = await tenant.data(f"{{ customers(first: 20, {order}) {{ pageInfo {{ endCursor }} }} }}")
    after = first["customers"]["pageInfo"]["endCursor"]
    query = f'{{ customers(first: 20, after: "{after}", {order}) {{ nodes {{ name custom {{ price }} }} }} }}'
    assert {n["custom"]["price"] for n in (await tenant.data(query))["customers"]["nodes"]} == {common}
    for compiled in (False, True):
        plan = await api_plan(rapport, tenant, owner_engine, settings.app_role, query, compiled=compiled, analyze=True)
        assert "Sort Key" not in plan, plan
        scan = next(line for line in plan.splitlines() if f"using {index}" in line)
        read = int(re.search(r"actual time=\S+ rows=(\d+)", scan).group(1))  # type: ignore[union-attr]
        assert read <= 41, plan  # the first page's rows, walked past to the cursor, and this page's


async def test_a_build_drops_the_index_of_an_earlier_expression(
    rapport: App, tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    definition = FieldDefinition(id=uuid.uuid4(), entity="CUSTOMER", key="legacyScore", type="INTEGER", label="L")
    current = btree_name(definition)
    earlier = current[:-6] + "abc123"
    async with owner_engine.connect() as conn:
        await conn.execute(text(f"CREATE INDEX {earlier} ON customers (tenant_id, (custom ->> 'legacyScore'))"))
        await conn.commit()
    await tenant.add_field("CUSTOMER", "legacyScore", "INTEGER", sortable="true")
    await asyncio.wait_for(rapport.app.state.rapport.index_builder.drain(), 60)
    async with owner_engine.connect() as conn:
        names = await conn.execute(
            text("SELECT relname FROM pg_class WHERE relname IN (:a, :b)"), {"a": earlier, "b": current}
        )
        assert list(names.scalars()) == [current]


def test_keys_are_checked_before_they_are_written_into_sql() -> None:
    from rapport.models import Customer, table_of

    column = table_of(Customer).c.custom
    with pytest.raises(ValueError, match="unsafe JSON key"):
        accessors.custom_text(column, "x') OR true --")
    sql = accessors.custom_bigint(column, "score").compile(compile_kwargs={"literal_binds": True})
    assert str(sql) == "rapport_custom_bigint(customers.custom, 'score')"


async def test_an_upgrade_builds_the_index_a_select_field_did_not_have(
    rapport: App, tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    """Filterable selects had no btree before the accessors: their definitions say NONE. The API's start (or
    `rapport index build`) finds the index missing and builds it."""
    from rapport.customfields import indexes

    await tenant.add_field("CUSTOMER", "segment", "SELECT", filterable="true", options='[{label: "A"}]')
    await asyncio.wait_for(rapport.app.state.rapport.index_builder.drain(), 60)
    definition = FieldDefinition(id=uuid.uuid4(), entity="CUSTOMER", key="segment", type="SELECT", label="S")
    name = btree_name(definition)
    async with owner_engine.connect() as conn:  # as an earlier version left it
        await conn.execute(text(f"DROP INDEX {name}"))
        await enter_tenant(conn, tenant.id)
        await conn.execute(
            text("UPDATE custom_field_definitions SET index_status = 'NONE' WHERE tenant_id = :t AND key = 'segment'"),
            {"t": tenant.id},
        )
        await conn.commit()
    jobs = [j for j in await indexes.pending_jobs(owner_engine) if j.tenant_id == tenant.id]
    assert len(jobs) == 1  # the segment field's, the tenant's only one
    assert [await indexes.build(owner_engine, job) for job in jobs] == ["READY"]
    async with owner_engine.connect() as conn:
        found = await conn.execute(text("SELECT count(*) FROM pg_class WHERE relname = :n"), {"n": name})
        assert found.scalar() == 1
