"""Every definition change on a populated table (5,000 records, written straight to the database), with the
stored values checked before and after: rename (customers, contacts, orders), relabel and reorder, options
(add, relabel, reorder, merge, remove), archive and restore, delete, type changes with dry runs, making a
field required or unique later, and writers racing a change."""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from rapport.customfields import service
from rapport.customfields.locks import lock_for_definitions, lock_for_values
from rapport.ids import from_global_id, new_id, to_global_id
from rapport.models import Contact, Customer, Order, table_of
from rapport.tenants import enter_tenant
from tests.conftest import App, Tenant

N = 5000
TABLES = {"CUSTOMER": "customers", "CONTACT": "contacts", "ORDER": "orders"}
ROOTS = {"CUSTOMER": "customers", "CONTACT": "contacts", "ORDER": "orders"}
TYPES = {"CUSTOMER": "Customer", "CONTACT": "Contact", "ORDER": "Order"}

DEFINITION = "id key type label description position version required default config indexStatus archived"
OPTIONS = "options { id value label color }"
UPDATE_FIELD = (
    "mutation($id: ID!, $input: CustomFieldUpdateInput!, $v: Int) { "
    "customFieldUpdate(id: $id, input: $input, expectedVersion: $v) { "
    f"customField {{ {DEFINITION} {OPTIONS} }} userErrors {{ code field message }} }} }}"
)
MERGE = (
    "mutation($id: ID!, $sources: [String!]!, $target: String!, $v: Int) { customFieldMergeOptions(id: $id, "
    "sourceOptionIds: $sources, targetOptionId: $target, expectedVersion: $v) { "
    f"customField {{ {DEFINITION} {OPTIONS} }} userErrors {{ code field message }} }} }}"
)
ARCHIVE = (
    f"mutation($id: ID!) {{ customFieldArchive(id: $id) {{ customField {{ {DEFINITION} }} "
    "userErrors { code field message } } }"
)
RESTORE = ARCHIVE.replace("customFieldArchive", "customFieldRestore")
DELETE = (
    "mutation($id: ID!, $v: Int) { customFieldDelete(id: $id, expectedVersion: $v) { "
    "deletedId purgedValues userErrors { code field message } } }"
)
CHANGE_TYPE = (
    "mutation($id: ID!, $type: CustomFieldType!, $dry: Boolean!, $settings: CustomFieldSettingsInput) { "
    "customFieldChangeType(id: $id, type: $type, dryRun: $dry, settings: $settings) { applied "
    f"customField {{ {DEFINITION} {OPTIONS} }} "
    "report { total convertible failing samples { id value problem } } userErrors { code field message } } }"
)
DEFINITIONS = f"{{ customFieldDefinitions(includeArchived: true) {{ {DEFINITION} {OPTIONS} }} }}"
CREATE_CUSTOMER = (
    "mutation($input: CustomerCreateInput!) { customerCreate(input: $input) { "
    "customer { id version customFields } userErrors { code field message } } }"
)

Stored = dict[uuid.UUID, tuple[dict[str, Any], int]]


# --- populating and reading tables directly ---------------------------------------------------------------


async def populate(
    engine: AsyncEngine, tenant: Tenant, values: list[dict[str, Any]], entity: str = "CUSTOMER", deleted: int = 10
) -> list[uuid.UUID]:
    """One record of ``entity`` per custom dict; every ``deleted``-th one soft-deleted (its values still count:
    it can be restored)."""
    parent = new_id()
    rows: list[dict[str, Any]] = []
    for n, custom in enumerate(values):
        row: dict[str, Any] = {"tenant_id": tenant.id, "id": new_id(), "custom": custom}
        if entity == "CUSTOMER":
            row |= {"kind": "PERSON", "name": f"Customer {n:05d}"}
        elif entity == "CONTACT":
            row |= {"customer_id": parent, "name": f"Contact {n:05d}"}
        else:
            row |= {"customer_id": parent, "order_number": f"SO-{n:06d}", "currency": "USD"}
        rows.append(row)
    async with engine.begin() as conn:
        await enter_tenant(conn, tenant.id)
        if entity != "CUSTOMER":
            await conn.execute(
                insert(table_of(Customer)).values(
                    tenant_id=tenant.id, id=parent, kind="COMPANY", name="Parent", custom={}
                )
            )
        model = {"CUSTOMER": Customer, "CONTACT": Contact, "ORDER": Order}[entity]
        await conn.execute(insert(table_of(model)), rows)
        ids = [r["id"] for r in rows]
        if deleted:
            await conn.execute(
                text(f"UPDATE {TABLES[entity]} SET deleted_at = now() WHERE tenant_id = :t AND id = ANY(:ids)"),
                {"t": tenant.id, "ids": ids[::deleted]},
            )
    return ids


async def stored(engine: AsyncEngine, tenant: Tenant, entity: str = "CUSTOMER") -> Stored:
    """Every record's custom JSON and version, by id."""
    async with engine.begin() as conn:
        await enter_tenant(conn, tenant.id)
        rows = await conn.execute(
            text(f"SELECT id, custom, version FROM {TABLES[entity]} WHERE tenant_id = :t"), {"t": tenant.id}
        )
        return {r.id: (r.custom, r.version) for r in rows}


def values_of(before: Stored, key: str) -> dict[uuid.UUID, Any]:
    return {i: custom[key] for i, (custom, _) in before.items() if key in custom}


def expect(before: Stored, key: str, convert: Callable[[Any], Any], new_key: str | None = None) -> Stored:
    """``before`` with ``key``'s values converted (and moved to ``new_key``); versions unchanged."""
    after: Stored = {}
    for record_id, (custom, version) in before.items():
        changed = {k: v for k, v in custom.items() if k != key}
        if key in custom:
            changed[new_key or key] = convert(custom[key])
        after[record_id] = (changed, version)
    return after


async def live_count(engine: AsyncEngine, tenant: Tenant, where: str, entity: str = "CUSTOMER") -> int:
    async with engine.begin() as conn:
        await enter_tenant(conn, tenant.id)
        found = await conn.execute(
            text(f"SELECT count(*) FROM {TABLES[entity]} WHERE tenant_id = :t AND deleted_at IS NULL AND {where}"),
            {"t": tenant.id},
        )
        return int(found.scalar_one())


async def definition(tenant: Tenant, key: str) -> dict[str, Any]:
    found = (await tenant.data(DEFINITIONS))["customFieldDefinitions"]
    value: dict[str, Any] = next(d for d in found if d["key"] == key)
    return value


async def change(tenant: Tenant, query: str, **variables: Any) -> dict[str, Any]:
    """The payload of a one-mutation document (userErrors allowed)."""
    data = await tenant.data(query, variables)
    (payload,) = data.values()
    result: dict[str, Any] = payload
    return result


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def total(tenant: Tenant, filter_: dict[str, Any], entity: str = "CUSTOMER") -> int:
    root = ROOTS[entity]
    data = await tenant.data(
        f"query($f: {TYPES[entity]}Filter) {{ {root}(first: 1, filter: $f) {{ totalCount }} }}", {"f": filter_}
    )
    count: int = data[root]["totalCount"]
    return count


# --- rename -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("entity", ["CUSTOMER", "CONTACT", "ORDER"])
async def test_rename_moves_every_value(tenant: Tenant, owner_engine: AsyncEngine, entity: str) -> None:
    field = await tenant.add_field(entity, "oldKey", "INTEGER", sortable="true")
    await populate(
        owner_engine,
        tenant,
        [{"oldKey": n % 1000, "other": "kept"} if n % 7 else {"other": "kept"} for n in range(N)],
        entity,
    )
    before = await stored(owner_engine, tenant, entity)
    assert len(values_of(before, "oldKey")) == N - len(range(0, N, 7))
    renamed = await change(tenant, UPDATE_FIELD, id=field["id"], input={"key": "newKey"}, v=field["version"])
    assert renamed["userErrors"] == []
    assert renamed["customField"]["key"] == "newKey"
    # Every value moved (soft-deleted records too), nothing else changed, versions untouched.
    assert await stored(owner_engine, tenant, entity) == expect(before, "oldKey", lambda v: v, "newKey")
    # The typed schema follows in the same change.
    expected = await live_count(owner_engine, tenant, "(custom ->> 'newKey')::int >= 990", entity)
    assert expected > 0
    assert await total(tenant, {"custom": {"newKey": {"gte": 990}}}, entity) == expected
    root = ROOTS[entity]
    top = await tenant.data(
        f"{{ {root}(first: 1, orderBy: [{{custom: NEW_KEY, direction: ASC}}]) {{ nodes {{ custom {{ newKey }} }} }} }}"
    )
    assert top[root]["nodes"][0]["custom"]["newKey"] == 1
    stale = await tenant.gql(f"{{ {root}(first: 1) {{ nodes {{ custom {{ oldKey }} }} }} }}")
    assert stale["errors"]


async def test_rename_to_a_taken_key_changes_nothing(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    field = await tenant.add_field("CUSTOMER", "alpha", "TEXT")
    await tenant.add_field("CUSTOMER", "beta", "TEXT")
    await populate(owner_engine, tenant, [{"alpha": f"a{n}", "beta": f"b{n}"} for n in range(N)])
    before = await stored(owner_engine, tenant)
    refused = await change(tenant, UPDATE_FIELD, id=field["id"], input={"key": "beta"})
    assert codes(refused) == [("DUPLICATE", ["input", "key"])]
    stale = await change(tenant, UPDATE_FIELD, id=field["id"], input={"key": "gamma"}, v=field["version"] + 5)
    assert codes(stale) == [("CONFLICT", ["expectedVersion"])]
    assert await stored(owner_engine, tenant) == before
    assert (await definition(tenant, "alpha"))["version"] == field["version"]


async def test_renaming_a_unique_field_moves_its_unique_index(
    rapport: App, tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    field = await tenant.add_field("CUSTOMER", "vat", "TEXT", unique="true")
    await populate(owner_engine, tenant, [{"vat": f"VAT-{n:05d}"} for n in range(N)])
    builder = rapport.app.state.rapport.index_builder
    await asyncio.wait_for(builder.drain(), 60)
    renamed = await change(tenant, UPDATE_FIELD, id=field["id"], input={"key": "taxId"})
    assert renamed["userErrors"] == []
    await asyncio.wait_for(builder.drain(), 60)
    assert (await definition(tenant, "taxId"))["indexStatus"] == "READY"
    name = "cfu_" + from_global_id(field["id"])[1].hex  # type: ignore[index]
    async with owner_engine.connect() as conn:
        found = await conn.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = :n"), {"n": name})
        indexdef = found.scalar_one()
    assert "'taxId'" in indexdef
    assert "'vat'" not in indexdef
    # The index itself refuses a duplicate that bypasses the API's check.
    async with owner_engine.begin() as conn:
        await enter_tenant(conn, tenant.id)
        with pytest.raises(IntegrityError):
            await conn.execute(
                insert(table_of(Customer)).values(
                    tenant_id=tenant.id, id=new_id(), kind="PERSON", name="Dup", custom={"taxId": "VAT-04999"}
                )
            )


# --- relabel, reorder and options: metadata only --------------------------------------------------------------


@pytest.mark.parametrize("type_", ["SELECT", "MULTI_SELECT"])
async def test_relabel_reorder_and_add_options_leave_values_alone(
    tenant: Tenant, owner_engine: AsyncEngine, type_: str
) -> None:
    score = await tenant.add_field("CUSTOMER", "score", "INTEGER")
    tier = await tenant.add_field(
        "CUSTOMER", "tier", type_, options='[{label: "Gold"}, {label: "Silver"}, {label: "Bronze"}]'
    )
    ids = {o["value"]: o["id"] for o in tier["options"]}
    cycle = ["GOLD", "SILVER", "BRONZE"]

    def value(n: int) -> Any:
        chosen = ids[cycle[n % 3]]
        return chosen if type_ == "SELECT" else [chosen]

    await populate(owner_engine, tenant, [{"tier": value(n), "score": n} if n % 5 else {"score": n} for n in range(N)])
    before = await stored(owner_engine, tenant)
    options = [
        {"id": ids["BRONZE"], "label": "Bronze"},
        {"id": ids["GOLD"], "label": "Golden", "color": "#ffd700"},
        {"id": ids["SILVER"], "label": "Silver"},
    ]
    changed = await change(
        tenant,
        UPDATE_FIELD,
        id=tier["id"],
        input={
            "label": "Loyalty tier",
            "description": "Customer loyalty",
            "position": 10,
            "options": options,
            "addOptions": [{"label": "Platinum"}],
        },
    )
    assert changed["userErrors"] == []
    assert [(o["id"], o["value"], o["label"]) for o in changed["customField"]["options"][:3]] == [
        (ids["BRONZE"], "BRONZE", "Bronze"),
        (ids["GOLD"], "GOLD", "Golden"),
        (ids["SILVER"], "SILVER", "Silver"),
    ]
    platinum = changed["customField"]["options"][3]
    assert (platinum["value"], platinum["label"]) == ("PLATINUM", "Platinum")
    moved = await change(tenant, UPDATE_FIELD, id=score["id"], input={"position": 20, "label": "Points"})
    assert moved["userErrors"] == []
    # Stored values and record versions are exactly as before.
    assert await stored(owner_engine, tenant) == before
    order = [d["key"] for d in (await tenant.data(DEFINITIONS))["customFieldDefinitions"]]
    assert order == ["tier", "score"]
    # The enum keeps its values and gains the new one; select sorts follow the new option order.
    data = await tenant.data('{ __type(name: "CustomerTier") { enumValues { name description } } }')
    assert [(v["name"], v["description"]) for v in data["__type"]["enumValues"]] == [
        ("BRONZE", "Bronze"),
        ("GOLD", "Golden"),
        ("SILVER", "Silver"),
        ("PLATINUM", "Platinum"),
    ]
    if type_ == "SELECT":
        first = await tenant.data("{ customers(first: 3, orderBy: [{custom: TIER}]) { nodes { custom { tier } } } }")
        assert [n["custom"]["tier"] for n in first["customers"]["nodes"]] == ["BRONZE"] * 3
        assert await total(tenant, {"custom": {"tier": {"eq": "GOLD"}}}) == await live_count(
            owner_engine, tenant, f"custom ->> 'tier' = '{ids['GOLD']}'"
        )
    else:
        assert await total(tenant, {"custom": {"tier": {"containsAny": ["GOLD"]}}}) == await live_count(
            owner_engine, tenant, f"custom -> 'tier' ? '{ids['GOLD']}'"
        )
    new_value: Any = "PLATINUM" if type_ == "SELECT" else ["PLATINUM", "GOLD"]
    made = await tenant.mutate(
        CREATE_CUSTOMER, {"input": {"kind": "PERSON", "name": "P", "custom": {"tier": new_value}}}
    )
    stored_new = platinum["id"] if type_ == "SELECT" else [ids["GOLD"], platinum["id"]]  # option order
    assert made["customer"]["customFields"]["tier"] == stored_new


@pytest.mark.parametrize("type_", ["SELECT", "MULTI_SELECT"])
async def test_options_in_use_are_merged_not_removed(tenant: Tenant, owner_engine: AsyncEngine, type_: str) -> None:
    gold_default = '"GOLD"' if type_ == "SELECT" else '["GOLD", "BRONZE"]'
    tier = await tenant.add_field(
        "CUSTOMER",
        "tier",
        type_,
        options='[{label: "Gold"}, {label: "Silver"}, {label: "Bronze"}]',
        default=gold_default,
    )
    ids = {o["value"]: o["id"] for o in tier["options"]}
    g, s, b = ids["GOLD"], ids["SILVER"], ids["BRONZE"]
    single = [g, s, b, b]
    multi = [[g], [g, b], [s, b], [b], [g, s, b]]

    def value(n: int) -> dict[str, Any]:
        if n % 6 == 0:
            return {}
        return {"tier": single[n % 4] if type_ == "SELECT" else multi[n % 5]}

    await populate(owner_engine, tenant, [value(n) for n in range(N)])
    before = await stored(owner_engine, tenant)
    # Removing an option that records use is refused, and changes nothing.
    keep = [{"id": g, "label": "Gold"}, {"id": s, "label": "Silver"}]
    refused = await change(tenant, UPDATE_FIELD, id=tier["id"], input={"options": keep})
    assert codes(refused) == [("INVALID_STATE", ["input", "options"])]
    assert "BRONZE" in refused["userErrors"][0]["message"]
    assert "customFieldMergeOptions" in refused["userErrors"][0]["message"]
    assert [o["value"] for o in (await definition(tenant, "tier"))["options"]] == ["GOLD", "SILVER", "BRONZE"]
    assert await stored(owner_engine, tenant) == before
    # Bad merges are refused.
    current = await definition(tenant, "tier")
    for sources, target in (([b], b), (["opt_nope"], s), ([], s), ([b], "opt_nope")):
        bad = await change(tenant, MERGE, id=tier["id"], sources=sources, target=target)
        assert codes(bad) == [("UNKNOWN_OPTION", ["sourceOptionIds"])]
    stale = await change(tenant, MERGE, id=tier["id"], sources=[b], target=s, v=current["version"] - 1)
    assert codes(stale) == [("CONFLICT", ["expectedVersion"])]
    assert await stored(owner_engine, tenant) == before
    # Merging is the replacement path: BRONZE's records hold SILVER, and BRONZE is gone.
    merged = await change(tenant, MERGE, id=tier["id"], sources=[b], target=s, v=current["version"])
    assert merged["userErrors"] == []
    assert [o["value"] for o in merged["customField"]["options"]] == ["GOLD", "SILVER"]

    def remap(v: Any) -> Any:
        if type_ == "SELECT":
            return s if v == b else v
        chosen = {s if o == b else o for o in v}
        return [o for o in (g, s) if o in chosen]

    assert await stored(owner_engine, tenant) == expect(before, "tier", remap)
    assert merged["customField"]["default"] == (g if type_ == "SELECT" else [g, s])
    assert (await tenant.gql("{ customers(first: 1, filter: {custom: {tier: {eq: BRONZE}}}) { totalCount } }"))[
        "errors"
    ]
    # An option no record uses can simply be removed.
    added = await change(tenant, UPDATE_FIELD, id=tier["id"], input={"addOptions": [{"label": "Unused"}]})
    unused = added["customField"]["options"][-1]["id"]
    assert unused not in (g, s)
    removed = await change(tenant, UPDATE_FIELD, id=tier["id"], input={"options": keep})
    assert removed["userErrors"] == []
    assert [o["value"] for o in removed["customField"]["options"]] == ["GOLD", "SILVER"]


async def test_merging_options_of_a_field_without_options_is_refused(tenant: Tenant) -> None:
    field = await tenant.add_field("CUSTOMER", "plain", "TEXT")
    refused = await change(tenant, MERGE, id=field["id"], sources=["a"], target="b")
    assert codes(refused) == [("INVALID", ["id"])]


# --- archive, restore, delete -------------------------------------------------------------------------------


async def test_archive_and_restore_keep_every_value(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    field = await tenant.add_field("CUSTOMER", "score", "INTEGER", filterable="true")
    await populate(owner_engine, tenant, [{"score": n, "note": "x"} for n in range(N)])
    before = await stored(owner_engine, tenant)
    expected = await live_count(owner_engine, tenant, "(custom ->> 'score')::int < 100")
    assert await total(tenant, {"custom": {"score": {"lt": 100}}}) == expected

    archived = await change(tenant, ARCHIVE, id=field["id"])
    assert archived["userErrors"] == []
    assert archived["customField"]["archived"] is True
    assert await stored(owner_engine, tenant) == before
    assert (await tenant.gql("{ customers(first: 1, filter: {custom: {score: {lt: 100}}}) { totalCount } }"))["errors"]
    assert (await tenant.gql("{ customers(first: 1) { nodes { custom { score } } } }"))["errors"]
    listed = await tenant.data("{ customers(first: 1) { nodes { customFields } } }")
    assert listed["customers"]["nodes"][0]["customFields"] == {}  # archived values are not served
    generic = await tenant.data(
        CREATE_CUSTOMER, {"input": {"kind": "PERSON", "name": "G", "customFields": {"score": 1}}}
    )
    assert codes(generic["customerCreate"]) == [("UNKNOWN_FIELD", ["input", "customFields", "score"])]
    assert (await definition(tenant, "score"))["archived"] is True

    restored = await change(tenant, RESTORE, id=field["id"])
    assert restored["userErrors"] == []
    assert restored["customField"]["archived"] is False
    assert await stored(owner_engine, tenant) == before
    assert await total(tenant, {"custom": {"score": {"lt": 100}}}) == expected
    top = await tenant.data(
        "{ customers(first: 1, filter: {custom: {score: {eq: 4999}}}) { nodes { custom { score } } } }"
    )
    assert top["customers"]["nodes"][0]["custom"] == {"score": 4999}


async def test_delete_purges_every_value(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    field = await tenant.add_field("CUSTOMER", "gone", "TEXT")
    await populate(owner_engine, tenant, [{"gone": f"v{n}", "kept": n} if n % 3 else {"kept": n} for n in range(N)])
    before = await stored(owner_engine, tenant)
    with_value = len(values_of(before, "gone"))
    stale = await change(tenant, DELETE, id=field["id"], v=field["version"] + 1)
    assert codes(stale) == [("CONFLICT", ["expectedVersion"])]
    assert await stored(owner_engine, tenant) == before
    deleted = await change(tenant, DELETE, id=field["id"], v=field["version"])
    assert deleted["userErrors"] == []
    assert deleted["deletedId"] == field["id"]
    assert deleted["purgedValues"] == with_value  # soft-deleted records included
    after = await stored(owner_engine, tenant)
    assert after == {i: ({"kept": custom["kept"]}, version) for i, (custom, version) in before.items()}
    assert [d["key"] for d in (await tenant.data(DEFINITIONS))["customFieldDefinitions"]] == []
    # A new field with the old key starts empty: nothing comes back.
    await tenant.add_field("CUSTOMER", "gone", "TEXT")
    assert await total(tenant, {"custom": {"gone": {"isNull": False}}}) == 0


# --- type changes -------------------------------------------------------------------------------------------


async def change_type(
    tenant: Tenant, field_id: str, type_: str, *, dry: bool, settings: dict[str, Any] | None = None
) -> dict[str, Any]:
    return await change(tenant, CHANGE_TYPE, id=field_id, type=type_, dry=dry, settings=settings)


async def converts_completely(
    tenant: Tenant,
    owner_engine: AsyncEngine,
    field: dict[str, Any],
    new_type: str,
    convert: Callable[[Any], Any],
    settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Dry run (reports every value convertible, changes nothing), then the change (converts every value and
    nothing else). Returns the changed definition."""
    before = await stored(owner_engine, tenant)
    with_value = len(values_of(before, field["key"]))
    dry = await change_type(tenant, field["id"], new_type, dry=True, settings=settings)
    assert dry["userErrors"] == []
    assert dry["applied"] is False
    assert dry["report"] == {"total": with_value, "convertible": with_value, "failing": 0, "samples": []}
    assert dry["customField"]["type"] == new_type  # as it would be
    assert (await definition(tenant, field["key"]))["type"] == field["type"]
    assert await stored(owner_engine, tenant) == before
    done = await change_type(tenant, field["id"], new_type, dry=False, settings=settings)
    assert done["userErrors"] == []
    assert done["applied"] is True
    assert done["report"]["total"] == done["report"]["convertible"] == with_value
    assert done["customField"]["type"] == new_type
    assert await stored(owner_engine, tenant) == expect(before, field["key"], convert)
    changed: dict[str, Any] = done["customField"]
    return changed


async def refuses_partly_convertible(
    tenant: Tenant, owner_engine: AsyncEngine, field: dict[str, Any], new_type: str, failing: dict[uuid.UUID, Any]
) -> None:
    """Dry run reports the failing values (counts and samples); the change itself changes nothing."""
    before = await stored(owner_engine, tenant)
    with_value = len(values_of(before, field["key"]))
    dry = await change_type(tenant, field["id"], new_type, dry=True)
    assert dry["userErrors"] == []
    report = dry["report"]
    assert (report["total"], report["convertible"], report["failing"]) == (
        with_value,
        with_value - len(failing),
        len(failing),
    )
    assert len(report["samples"]) == min(10, len(failing))
    for sample in report["samples"]:
        record_id = from_global_id(sample["id"])[1]  # type: ignore[index]
        assert sample["value"] == failing[record_id]
        assert sample["problem"]
    real = await change_type(tenant, field["id"], new_type, dry=False)
    assert real["applied"] is False
    assert real["customField"] is None
    assert codes(real) == [("INVALID_STATE", ["type"])]
    assert f"{len(failing)} of {with_value}" in real["userErrors"][0]["message"]
    assert real["report"]["failing"] == len(failing)  # the refusal shows what to fix
    assert (await definition(tenant, field["key"]))["type"] == field["type"]
    assert await stored(owner_engine, tenant) == before


async def fix_values(engine: AsyncEngine, tenant: Tenant, key: str, fixed: dict[uuid.UUID, Any]) -> None:
    async with engine.begin() as conn:
        await enter_tenant(conn, tenant.id)
        for record_id, value in fixed.items():
            await conn.execute(
                text("UPDATE customers SET custom = jsonb_set(custom, ARRAY[:k], CAST(:v AS jsonb)) WHERE id = :id"),
                {"k": key, "v": json.dumps(value), "id": record_id},
            )


async def test_select_to_multi_select(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    field = await tenant.add_field("CUSTOMER", "tier", "SELECT", options='[{label: "Gold"}, {label: "Silver"}]')
    ids = [o["id"] for o in field["options"]]
    await populate(owner_engine, tenant, [{"tier": ids[n % 2]} if n % 4 else {} for n in range(N)])
    changed = await converts_completely(tenant, owner_engine, field, "MULTI_SELECT", lambda v: [v])
    assert [o["id"] for o in changed["options"]] == ids  # option ids (and enum values) carry over
    expected = await live_count(owner_engine, tenant, f"custom -> 'tier' ? '{ids[0]}'")
    assert await total(tenant, {"custom": {"tier": {"containsAny": ["GOLD"]}}}) == expected


async def test_multi_select_to_select_only_when_no_record_has_two(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    field = await tenant.add_field("CUSTOMER", "colours", "MULTI_SELECT", options='[{label: "Red"}, {label: "Blue"}]')
    red, blue = (o["id"] for o in field["options"])
    values = [{"colours": [[red], [blue]][n % 2]} if n % 3 else {} for n in range(N)]
    for n in range(1, N, 401):  # a dozen records with both
        values[n] = {"colours": [red, blue]}
    ids = await populate(owner_engine, tenant, values)
    failing = {ids[n]: [red, blue] for n in range(1, N, 401)}
    await refuses_partly_convertible(tenant, owner_engine, field, "SELECT", failing)
    await fix_values(owner_engine, tenant, "colours", {record_id: [blue] for record_id in failing})
    await converts_completely(tenant, owner_engine, field, "SELECT", lambda v: v[0])


async def test_integer_to_decimal_and_back(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    field = await tenant.add_field("CUSTOMER", "amount", "INTEGER", sortable="true")
    await populate(owner_engine, tenant, [{"amount": n * 7 - 1000} if n % 5 else {} for n in range(N)])
    decimal_field = await converts_completely(tenant, owner_engine, field, "DECIMAL", str)
    assert decimal_field["config"] == {"sortable": True}  # settings every type shares carry over
    # A fraction anywhere stops the way back; nothing changes until it is gone.
    ids = list((await stored(owner_engine, tenant)).keys())
    fractions = {ids[1]: "12.5", ids[2222]: "-0.25", ids[4999]: "1E-7"}
    await fix_values(owner_engine, tenant, "amount", fractions)
    await refuses_partly_convertible(tenant, owner_engine, decimal_field, "INTEGER", fractions)
    await fix_values(owner_engine, tenant, "amount", dict.fromkeys(fractions, "3"))
    await converts_completely(tenant, owner_engine, decimal_field, "INTEGER", int)


CHANGE_TYPE_SETTINGS = CHANGE_TYPE.replace("samples { id value problem }", "droppedSettings")


async def changes_settings(
    tenant: Tenant, field: dict[str, Any], new_type: str, config: dict[str, Any], dropped: list[str]
) -> None:
    """The dry run and the change agree on the config the field gets and on the settings it loses."""
    for dry in (True, False):
        payload = await change(tenant, CHANGE_TYPE_SETTINGS, id=field["id"], type=new_type, dry=dry, settings=None)
        assert payload["userErrors"] == []
        assert payload["applied"] is not dry
        assert payload["report"]["droppedSettings"] == dropped, dry
        assert payload["customField"]["config"] == config, dry
    assert (await definition(tenant, field["key"]))["config"] == config


async def test_change_type_keeps_the_settings_the_new_type_has(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    amount = await tenant.add_field("CUSTOMER", "amount", "INTEGER", min="-1000", max="40000", default="7")
    stars = await tenant.add_field("CUSTOMER", "stars", "INTEGER", min="1", max="500", default="3")
    await populate(owner_engine, tenant, [{"amount": n * 7 - 1000, "stars": 1 + n % 5} for n in range(N)])
    # INTEGER -> DECIMAL: both have min and max; the bounds and the default take the new type's form.
    await changes_settings(tenant, amount, "DECIMAL", {"min": "-1000", "max": "40000", "default": "7"}, [])
    too_large = await change(
        tenant, CREATE_CUSTOMER, input={"kind": "PERSON", "name": "X", "customFields": {"amount": "40000.5"}}
    )
    assert codes(too_large) == [("TOO_LARGE", ["input", "customFields", "amount"])]
    # DECIMAL -> INTEGER: INTEGER has no scale, and 7.25 is no default for whole numbers.
    amount = await change(tenant, UPDATE_FIELD, id=amount["id"], input={"scale": 2, "default": "7.25"})
    assert amount["userErrors"] == []
    await changes_settings(tenant, amount["customField"], "INTEGER", {"min": -1000, "max": 40000}, ["default", "scale"])
    # INTEGER -> RATING: RATING has no min, and a max of 500 does not fit it (2 to 10 stars); the default does.
    await changes_settings(tenant, stars, "RATING", {"default": 3}, ["max", "min"])
    too_many = await change(tenant, CREATE_CUSTOMER, input={"kind": "PERSON", "name": "X", "custom": {"stars": 6}})
    assert codes(too_many) == [("TOO_LARGE", ["input", "custom", "stars"])]


# (type, stored value of the n-th record, the text it becomes)
SCALAR_TO_TEXT: list[tuple[str, Callable[[int], Any], Callable[[Any], str]]] = [
    ("INTEGER", lambda n: n - 2500, str),
    ("DECIMAL", lambda n: f"{n}.25", str),
    ("PERCENT", lambda n: str(n % 101), str),
    ("RATING", lambda n: 1 + n % 5, str),
    ("BOOLEAN", lambda n: n % 2 == 0, lambda v: "true" if v else "false"),
    ("DATE", lambda n: (dt.date(2020, 1, 1) + dt.timedelta(days=n)).isoformat(), str),
    ("DATETIME", lambda n: f"2024-05-01T09:{n % 60:02d}:00.000000Z", str),
    ("EMAIL", lambda n: f"user{n}@example.com", str),
    ("URL", lambda n: f"https://example.com/{n}", str),
    ("PHONE", lambda n: f"+86138{n:08d}", str),
    ("MONEY", lambda n: {"amount": f"{n}.5", "currency": "CNY"}, lambda v: f"{v['amount']} {v['currency']}"),
    ("LONG_TEXT", lambda n: f"line {n} of a longer note", str),
]


@pytest.mark.parametrize(("old_type", "make", "as_text"), SCALAR_TO_TEXT, ids=[c[0] for c in SCALAR_TO_TEXT])
async def test_scalar_to_text(
    tenant: Tenant,
    owner_engine: AsyncEngine,
    old_type: str,
    make: Callable[[int], Any],
    as_text: Callable[[Any], str],
) -> None:
    field = await tenant.add_field("CUSTOMER", "value", old_type)
    await populate(owner_engine, tenant, [{"value": make(n)} if n % 4 else {} for n in range(N)])
    await converts_completely(tenant, owner_engine, field, "TEXT", as_text)


async def test_select_and_multi_select_to_text_use_labels(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    one = await tenant.add_field("CUSTOMER", "tier", "SELECT", options='[{label: "Gold"}, {label: "Silver 2nd"}]')
    many = await tenant.add_field("CUSTOMER", "colours", "MULTI_SELECT", options='[{label: "Red"}, {label: "Blue"}]')
    g, s = (o["id"] for o in one["options"])
    r, b = (o["id"] for o in many["options"])
    await populate(
        owner_engine, tenant, [{"tier": [g, s][n % 2], "colours": [[r], [r, b], [b]][n % 3]} for n in range(N)]
    )
    labels = {g: "Gold", s: "Silver 2nd", r: "Red", b: "Blue"}
    await converts_completely(tenant, owner_engine, one, "TEXT", lambda v: labels[v])
    await converts_completely(tenant, owner_engine, many, "TEXT", lambda v: ", ".join(labels[o] for o in v))


# (new type, stored text of the n-th record, the value it becomes, {record: a text that does not parse})
TEXT_TO: list[tuple[str, Callable[[int], str], Callable[[str], Any], dict[int, str]]] = [
    ("INTEGER", lambda n: f" {n - 100} ", int, {3: "12.5", 4000: "twelve"}),
    ("DECIMAL", lambda n: f"{n}.50", lambda v: format(decimal.Decimal(v).normalize(), "f"), {7: "1,5"}),
    ("DATE", lambda n: (dt.date(2024, 1, 1) + dt.timedelta(days=n % 300)).isoformat(), str, {9: "01/05/2024"}),
    (
        "BOOLEAN",
        lambda n: ["true", "No", "YES", "0", "1", "false"][n % 6],
        lambda v: v.lower() in ("true", "yes", "1"),
        {11: "maybe", 12: "y"},
    ),
]


@pytest.mark.parametrize(("new_type", "make", "convert", "bad"), TEXT_TO, ids=[c[0] for c in TEXT_TO])
async def test_text_to_parsed_types(
    tenant: Tenant,
    owner_engine: AsyncEngine,
    new_type: str,
    make: Callable[[int], str],
    convert: Callable[[str], Any],
    bad: dict[int, str],
) -> None:
    field = await tenant.add_field("CUSTOMER", "raw", "TEXT")
    values = [{"raw": make(n)} if n % 5 else {} for n in range(N)]
    for n, text_value in bad.items():
        values[n] = {"raw": text_value}
    ids = await populate(owner_engine, tenant, values)
    await refuses_partly_convertible(tenant, owner_engine, field, new_type, {ids[n]: v for n, v in bad.items()})
    await fix_values(owner_engine, tenant, "raw", {ids[n]: make(n) for n in bad})
    await converts_completely(tenant, owner_engine, field, new_type, convert)


async def test_text_to_select_makes_an_option_per_distinct_text(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    field = await tenant.add_field("CUSTOMER", "tier", "TEXT")
    labels = ["Gold", "Silver", "Bronze", "Café Crème"]
    await populate(owner_engine, tenant, [{"tier": labels[n % 4]} if n % 3 else {} for n in range(N)])
    dry = await change_type(tenant, field["id"], "SELECT", dry=True)
    assert dry["report"]["failing"] == 0, dry["report"]
    options = {o["label"]: o for o in dry["customField"]["options"]}
    assert set(options) == set(labels)
    assert options["Café Crème"]["value"] == "CAFE_CREME"
    before = await stored(owner_engine, tenant)
    done = await change_type(tenant, field["id"], "SELECT", dry=False)
    assert done["applied"] is True, done["userErrors"]
    by_label = {o["label"]: o["id"] for o in done["customField"]["options"]}
    assert await stored(owner_engine, tenant) == expect(before, "tier", lambda v: by_label[v])
    expected = await live_count(owner_engine, tenant, f"custom ->> 'tier' = '{by_label['Gold']}'")
    assert await total(tenant, {"custom": {"tier": {"eq": "GOLD"}}}) == expected


async def test_text_to_select_with_given_options(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    field = await tenant.add_field("CUSTOMER", "tier", "TEXT")
    values = [{"tier": ["Gold", "SILVER", "gold"][n % 3]} if n % 2 else {} for n in range(N)]
    values[5] = {"tier": "Copper"}
    ids = await populate(owner_engine, tenant, values)
    settings = {"options": [{"label": "Gold"}, {"label": "Silver"}]}
    dry = await change_type(tenant, field["id"], "SELECT", dry=True, settings=settings)
    assert dry["report"]["failing"] == 1
    assert dry["report"]["samples"][0]["value"] == "Copper"
    await fix_values(owner_engine, tenant, "tier", {ids[5]: "Silver"})
    before = await stored(owner_engine, tenant)
    done = await change_type(tenant, field["id"], "SELECT", dry=False, settings=settings)
    assert done["applied"] is True, done["userErrors"]
    option = {o["value"]: o["id"] for o in done["customField"]["options"]}
    # Texts match an option's label (in any case) or its enum value.
    assert await stored(owner_engine, tenant) == expect(
        before, "tier", lambda v: option["GOLD"] if v.lower() == "gold" else option["SILVER"]
    )


async def test_changes_that_are_not_offered_are_refused(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    field = await tenant.add_field("CUSTOMER", "when", "DATE")
    await populate(owner_engine, tenant, [{"when": "2024-01-01"}] * 10)
    for new_type in ("INTEGER", "BOOLEAN", "SELECT", "DATE", "JSON", "REFERENCE"):
        refused = await change_type(tenant, field["id"], new_type, dry=True)
        assert codes(refused) == [("INVALID", ["type"])], new_type
    assert (await definition(tenant, "when"))["type"] == "DATE"


# --- required and unique on existing fields ---------------------------------------------------------------------


async def test_making_a_field_required_needs_a_default_to_fill_every_record(
    tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    field = await tenant.add_field("CUSTOMER", "code", "TEXT")
    await populate(owner_engine, tenant, [{"other": n} for n in range(N)], deleted=0)
    before = await stored(owner_engine, tenant)
    refused = await change(tenant, UPDATE_FIELD, id=field["id"], input={"required": True})
    assert codes(refused) == [("REQUIRED", ["input", "required"])]
    assert f"{N} records have no value" in refused["userErrors"][0]["message"]
    assert (await definition(tenant, "code"))["required"] is False
    assert await stored(owner_engine, tenant) == before
    filled = await change(tenant, UPDATE_FIELD, id=field["id"], input={"required": True, "default": "n/a"})
    assert filled["userErrors"] == []
    assert filled["customField"]["required"] is True
    after = await stored(owner_engine, tenant)
    assert after == {i: ({**custom, "code": "n/a"}, version) for i, (custom, version) in before.items()}
    assert await total(tenant, {"custom": {"code": {"eq": "n/a"}}}) == N
    # From now on: a new record gets the default, and an explicit null is refused.
    made = await tenant.mutate(CREATE_CUSTOMER, {"input": {"kind": "PERSON", "name": "New"}})
    assert made["customer"]["customFields"] == {"code": "n/a"}
    null = await tenant.data(CREATE_CUSTOMER, {"input": {"kind": "PERSON", "name": "X", "custom": {"code": None}}})
    assert codes(null["customerCreate"]) == [("REQUIRED", ["input", "custom", "code"])]


async def test_backfill_only_fills_records_without_a_value(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    field = await tenant.add_field("CUSTOMER", "code", "TEXT")
    await populate(owner_engine, tenant, [{"code": f"c{n}"} if n % 2 else {} for n in range(N)])
    before = await stored(owner_engine, tenant)
    filled = await change(tenant, UPDATE_FIELD, id=field["id"], input={"required": True, "default": "none"})
    assert filled["userErrors"] == []
    assert await stored(owner_engine, tenant) == {
        i: ({"code": custom.get("code", "none")}, version) for i, (custom, version) in before.items()
    }


async def test_unique_on_an_existing_field_is_refused_while_values_repeat(
    rapport: App, tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    field = await tenant.add_field("CUSTOMER", "vat", "TEXT")
    values = [{"vat": f"VAT-{n:05d}"} for n in range(N)]
    values[11] = values[21] = {"vat": "DUP-A"}
    values[31] = values[4001] = values[4003] = {"vat": "DUP-B"}
    values[0] = values[10] = {"vat": "VAT-00001"}  # soft-deleted records (every tenth): their copies do not count
    ids = await populate(owner_engine, tenant, values)
    before = await stored(owner_engine, tenant)
    refused = await change(tenant, UPDATE_FIELD, id=field["id"], input={"unique": True})
    assert codes(refused) == [("DUPLICATE", ["input", "unique"])]
    message = refused["userErrors"][0]["message"]
    assert "DUP-A" in message
    assert "DUP-B" in message
    assert "VAT-00001" not in message
    assert (await definition(tenant, "vat"))["config"] == {}
    assert await stored(owner_engine, tenant) == before
    await fix_values(owner_engine, tenant, "vat", {ids[21]: "FIX-1", ids[4001]: "FIX-2", ids[4003]: "FIX-3"})
    made_unique = await change(tenant, UPDATE_FIELD, id=field["id"], input={"unique": True})
    assert made_unique["userErrors"] == []
    assert made_unique["customField"]["indexStatus"] == "PENDING"
    await asyncio.wait_for(rapport.app.state.rapport.index_builder.drain(), 60)
    assert (await definition(tenant, "vat"))["indexStatus"] == "READY"
    duplicate = await tenant.data(
        CREATE_CUSTOMER, {"input": {"kind": "PERSON", "name": "X", "custom": {"vat": "VAT-04999"}}}
    )
    assert codes(duplicate["customerCreate"]) == [("DUPLICATE", ["input", "custom", "vat"])]
    assert to_global_id("Customer", ids[4999]) in duplicate["customerCreate"]["userErrors"][0]["message"]


# --- writers racing a definition change -----------------------------------------------------------------------


async def waiting_for_lock(engine: AsyncEngine, task: asyncio.Task[Any]) -> None:
    """Until another session waits on an advisory lock (the request under test)."""
    for _ in range(200):
        async with engine.connect() as conn:
            waiting = await conn.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            )
            if waiting.scalar_one():
                return
        assert not task.done(), task.result()
        await asyncio.sleep(0.02)
    raise AssertionError("the request never waited for the lock")


async def test_a_write_prepared_before_a_rename_gets_conflict(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    field = await tenant.add_field("CUSTOMER", "oldKey", "INTEGER")
    await populate(owner_engine, tenant, [{"oldKey": n} for n in range(N)], deleted=0)
    write = (
        'mutation { customerCreate(input: {kind: PERSON, name: "Racer", custom: {oldKey: 5}}) '
        "{ customer { id } userErrors { code field message } } }"
    )
    await tenant.data("{ customers(first: 1) { totalCount } }")  # the schema with oldKey is built and cached
    async with owner_engine.connect() as conn:
        transaction = await conn.begin()
        await enter_tenant(conn, tenant.id)
        # The rename starts first and holds the entity's lock; the write authenticates at the old schema
        # version, then waits for the lock.
        await lock_for_definitions(conn, tenant.id, "CUSTOMER")
        racer = asyncio.create_task(tenant.data(write))
        await waiting_for_lock(owner_engine, racer)
        current = await service.get_definition(conn, tenant.id, from_global_id(field["id"])[1], for_update=True)  # type: ignore[index]
        assert current is not None
        await service.update_definition(conn, tenant.id, current, service.DefinitionChange(key="newKey"), None, set())
        await transaction.commit()
    result = (await racer)["customerCreate"]
    assert result["customer"] is None
    assert codes(result) == [("CONFLICT", ["input", "custom"])]
    after = await stored(owner_engine, tenant)
    assert len(after) == N
    assert all(set(custom) == {"newKey"} for custom, _ in after.values())
    # Retried against the new schema, the write goes through.
    retried = await tenant.data(write.replace("oldKey", "newKey"))
    assert retried["customerCreate"]["userErrors"] == []


async def test_a_definition_change_that_fills_values_waits_for_writers(
    tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    field = await tenant.add_field("CUSTOMER", "code", "TEXT")
    await populate(owner_engine, tenant, [{} for _ in range(N)], deleted=0)
    require = (
        'mutation($id: ID!) { customFieldUpdate(id: $id, input: {required: true, default: "n/a"}) '
        "{ customField { required } userErrors { code field message } } }"
    )
    async with owner_engine.connect() as conn:
        transaction = await conn.begin()
        await enter_tenant(conn, tenant.id)
        # A writer that read the old definitions (code optional) is mid-transaction.
        await lock_for_values(conn, tenant.id, "CUSTOMER")
        change_task = asyncio.create_task(tenant.data(require, {"id": field["id"]}))
        await waiting_for_lock(owner_engine, change_task)
        await conn.execute(
            insert(table_of(Customer)).values(tenant_id=tenant.id, id=new_id(), kind="PERSON", name="Late", custom={})
        )
        await transaction.commit()
    assert (await change_task)["customFieldUpdate"]["userErrors"] == []
    after = await stored(owner_engine, tenant)
    assert len(after) == N + 1
    assert all(custom == {"code": "n/a"} for custom, _ in after.values())  # the late record too
