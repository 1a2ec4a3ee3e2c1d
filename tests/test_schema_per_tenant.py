"""Each tenant's schema carries its own custom fields, typed; a definition change reaches every app
process on its next request; identical definitions share one built schema."""

from __future__ import annotations

from typing import Any

import httpx

from rapport.app import create_app
from rapport.config import Settings
from rapport.db.database import Database
from tests.conftest import App, Tenant

CUSTOM_TYPE = '{ __type(name: "CustomerCustomFields") { fields { name type { kind name ofType { name } } } } }'


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    found = data["__type"]
    return {} if found is None else {f["name"]: f["type"] for f in found["fields"]}


async def test_custom_field_is_typed_in_its_tenant_only(tenant: Tenant, other_tenant: Tenant) -> None:
    await tenant.add_field("CUSTOMER", "loyaltyTier", "SELECT", options='[{label: "Gold"}, {label: "Silver"}]')
    mine = _fields(await tenant.data(CUSTOM_TYPE))
    assert mine["loyaltyTier"] == {"kind": "ENUM", "name": "CustomerLoyaltyTier", "ofType": None}
    values = await tenant.data('{ __type(name: "CustomerLoyaltyTier") { enumValues { name } } }')
    assert [v["name"] for v in values["__type"]["enumValues"]] == ["GOLD", "SILVER"]
    custom = await tenant.data('{ __type(name: "Customer") { fields { name type { kind ofType { name } } } } }')
    field = next(f for f in custom["__type"]["fields"] if f["name"] == "custom")
    assert field["type"] == {"kind": "NON_NULL", "ofType": {"name": "CustomerCustomFields"}}
    for input_type in ("CustomerCustomFieldsInput", "CustomerCustomFieldsFilter"):
        found = await tenant.data(f'{{ __type(name: "{input_type}") {{ inputFields {{ name }} }} }}')
        assert [f["name"] for f in found["__type"]["inputFields"]] == ["loyaltyTier"]
    assert _fields(await other_tenant.data(CUSTOM_TYPE)) == {}
    theirs = await other_tenant.data('{ __type(name: "CustomerLoyaltyTier") { name } }')
    assert theirs["__type"] is None


async def test_second_app_process_sees_a_new_field_on_its_next_request(
    rapport: App, settings: Settings, database: Database, tenant: Tenant
) -> None:
    second = create_app(settings, database)
    await second.state.rapport.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=second), base_url="http://second") as client:
            twin = Tenant(ref=tenant.ref, token=tenant.token, http=client, owner_engine=tenant.owner_engine)
            assert _fields(await twin.data(CUSTOM_TYPE)) == {}  # cached in the second process now
            await tenant.add_field("CUSTOMER", "shoeSize", "INTEGER")  # through the first process
            assert _fields(await twin.data(CUSTOM_TYPE)) == {
                "shoeSize": {"kind": "SCALAR", "name": "Int", "ofType": None}
            }
            await tenant.mutate(
                'mutation { customerCreate(input: {kind: PERSON, name: "Feet", custom: {shoeSize: 44}}) '
                "{ customer { id } userErrors { code } } }"
            )
            data = await twin.data(
                "{ customers(first: 1, filter: {custom: {shoeSize: {gte: 40}}}) "
                "{ edges { node { custom { shoeSize } } } } }"
            )
            assert data["customers"]["edges"] == [{"node": {"custom": {"shoeSize": 44}}}]
    finally:
        await second.state.rapport.stop()


async def test_tenants_with_identical_definitions_share_a_schema(rapport: App, make_tenant: Any) -> None:
    first, second = await make_tenant("Twin 1"), await make_tenant("Twin 2")
    for t in (first, second):
        await t.add_field("CONTACT", "nickname", "TEXT")
    cache = rapport.app.state.rapport.executor.cache
    await first.data("{ __typename }")
    builds = cache.builds
    await second.data("{ __typename }")
    assert cache.builds == builds
    schema_one = cache.latest(first.id)
    schema_two = cache.latest(second.id)
    assert schema_one is not None
    assert schema_one is schema_two
