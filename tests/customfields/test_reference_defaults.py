"""REFERENCE defaults: a default must point at a live record when it is set, and a default whose record is
deleted later leaves new records without a value instead of refusing every create."""

from __future__ import annotations

import uuid
from typing import Any

from rapport.ids import from_global_id, to_global_id
from tests.conftest import Tenant

FIELD = (
    'mutation($default: JSON) {{ customFieldCreate(input: {{entity: CUSTOMER, key: "{key}", type: REFERENCE, '
    'label: "Referrer", target: CUSTOMER, default: $default{extra}}}) '
    "{{ customField {{ id version }} userErrors {{ code field message }} }} }}"
)
UPDATE_FIELD = (
    "mutation($id: ID!, $v: Int!, $default: JSON) { customFieldUpdate(id: $id, expectedVersion: $v, "
    "input: {default: $default}) { customField { id } userErrors { code field message } } }"
)
CREATE = (
    "mutation($input: CustomerCreateInput!) { customerCreate(input: $input) { "
    "customer { id customFields } userErrors { code field message } } }"
)


async def delete(tenant: Tenant, record: dict[str, Any]) -> None:
    await tenant.mutate(
        "mutation($id: ID!, $v: Int!) { customerDelete(id: $id, expectedVersion: $v) { userErrors { code } } }",
        {"id": record["id"], "v": record["version"]},
    )


def stored(global_id: str) -> str:
    """A reference as ``customFields`` gives it (stored form: the target's UUID)."""
    return str(from_global_id(global_id)[1])  # type: ignore[index]


def problems(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def add_field(tenant: Tenant, default: str, key: str = "referrer", extra: str = "") -> dict[str, Any]:
    response = await tenant.gql(FIELD.format(key=key, extra=extra), {"default": default})
    payload: dict[str, Any] = response["data"]["customFieldCreate"]
    return payload


async def test_a_default_must_point_at_a_live_record(tenant: Tenant) -> None:
    nowhere = to_global_id("Customer", uuid.uuid4())
    assert problems(await add_field(tenant, nowhere)) == [("NOT_FOUND", ["input", "default"])]
    gone = await tenant.add_person("Gone")
    await delete(tenant, gone)
    assert problems(await add_field(tenant, gone["id"])) == [("NOT_FOUND", ["input", "default"])]
    # Nothing was created by the refusals; a live record is accepted, and an update is checked the same way.
    live = await tenant.add_person("Live")
    created = await add_field(tenant, live["id"])
    assert problems(created) == []
    field = created["customField"]
    update = {"id": field["id"], "v": field["version"], "default": nowhere}
    refused = (await tenant.gql(UPDATE_FIELD, update))["data"]["customFieldUpdate"]
    assert problems(refused) == [("NOT_FOUND", ["input", "default"])]
    made = await tenant.mutate(CREATE, {"input": {"kind": "PERSON", "name": "New"}})
    assert made["customer"]["customFields"] == {"referrer": stored(live["id"])}


async def test_a_deleted_default_leaves_new_records_empty(tenant: Tenant) -> None:
    referrer = await tenant.add_person("Referrer")
    assert problems(await add_field(tenant, referrer["id"])) == []
    await delete(tenant, referrer)
    made = await tenant.mutate(CREATE, {"input": {"kind": "PERSON", "name": "After"}})
    assert made["customer"]["customFields"] == {}
    # Naming the deleted record is still refused: the client sent it.
    sent = {"input": {"kind": "PERSON", "name": "Named", "custom": {"referrer": referrer["id"]}}}
    refused = (await tenant.gql(CREATE, sent))["data"]["customerCreate"]
    assert problems(refused) == [("NOT_FOUND", ["input", "custom", "referrer"])]


async def test_a_required_field_whose_default_was_deleted_asks_for_a_value(tenant: Tenant) -> None:
    referrer, other = await tenant.add_person("Referrer"), await tenant.add_person("Other")
    assert problems(await add_field(tenant, referrer["id"], extra=", required: true")) == []
    await delete(tenant, referrer)
    refused = (await tenant.gql(CREATE, {"input": {"kind": "PERSON", "name": "After"}}))["data"]["customerCreate"]
    assert refused["customer"] is None
    assert problems(refused) == [("REQUIRED", ["input", "custom", "referrer"])]
    assert "deleted Customer" in refused["userErrors"][0]["message"]
    given = {"input": {"kind": "PERSON", "name": "Given", "custom": {"referrer": other["id"]}}}
    assert (await tenant.mutate(CREATE, given))["customer"]["customFields"] == {"referrer": stored(other["id"])}


async def test_a_hidden_fields_deleted_default_is_left_out(tenant: Tenant) -> None:
    referrer = await tenant.add_person("Referrer")
    assert problems(await add_field(tenant, referrer["id"], extra=", visibleTo: [OWNER]")) == []
    await delete(tenant, referrer)
    member = await tenant.token_for("MEMBER")
    made = await tenant.mutate(CREATE, {"input": {"kind": "PERSON", "name": "By member"}}, member)
    assert made["customer"]["customFields"] == {}
    owner_view = await tenant.data(
        "query($id: ID!) { node(id: $id) { ... on Customer { customFields } } }", {"id": made["customer"]["id"]}
    )
    assert owner_view["node"]["customFields"] == {}
