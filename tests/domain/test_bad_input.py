"""Bad input to every create and update mutation, found by introspection: wrong or unknown global IDs, empty
required text, out-of-range numbers, malformed emails, phones, currencies and addresses, overlong text and
lists. Each is a userError with a code and the input field's path, never an HTTP 500 or INTERNAL."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Tenant
from tests.domain.helpers import (
    ERRORS,
    REFERENCES,
    codes,
    create_inputs,
    global_id,
    input_fields,
    mutation_inputs,
    world,
)

SKIPPED = {"custom", "customFields", "items"}  # custom values and order lines have their own tests
UPDATABLE_TYPES = (
    "Customer",
    "Contact",
    "Lead",
    "Opportunity",
    "Pipeline",
    "PipelineStage",
    "Product",
    "Order",
    "ServiceCase",
    "Interaction",
    "Feedback",
    "Campaign",
    "CampaignMember",
    "MembershipTier",
    "User",
    "Team",
)

Case = tuple[Any, str, list[str]]  # value, expected code, path below ["input", field]


def bad_values(name: str, named: str, non_null: bool, is_list: bool, ids: dict[str, str]) -> list[Case]:
    """Bad values for one input field, with the userError each must produce."""
    if named == "ID":
        target = REFERENCES[name]
        wrong = ids["Team"] if target != "Team" else ids["Product"]
        return [(global_id(target), "NOT_FOUND", []), (wrong, "NOT_FOUND", []), ("garbage", "NOT_FOUND", [])]
    if named == "String" and is_list:
        return [(["x" * 101], "TOO_LONG", []), ([f"item {i}" for i in range(51)], "TOO_LONG", [])]
    if named == "String":
        cases: list[Case]
        if name == "email":
            cases = [("not an email", "INVALID_EMAIL", []), ("a@b@c.example", "INVALID_EMAIL", [])]
            if non_null:  # see test_a_blank_required_email_is_required
                return cases
        elif "phone" in name.lower():
            cases = [("12ab", "INVALID_PHONE", []), ("+1", "INVALID_PHONE", [])]
        elif name == "currency":
            cases = [("XYZ", "INVALID", []), ("dollars", "INVALID", [])]
        elif name == "source":
            cases = [("carrier pigeon", "UNKNOWN_OPTION", [])]
        else:
            cases = [("x" * 20001, "TOO_LONG", []), ("a\x00b", "INVALID", [])]
        if non_null:
            cases.append(("   ", "REQUIRED", []))
        return cases
    if named == "Int":
        return [(-1, "TOO_SMALL", []), (1_000_000, "TOO_LARGE", [])]
    if named == "Decimal":
        return [("-0.01", "TOO_SMALL", []), ("100000000000000000", "TOO_LARGE", []), ("0.001", "INVALID", [])]
    if named == "Date" and name == "birthday":
        return [("2999-01-01", "TOO_LARGE", []), ("1850-01-01", "TOO_SMALL", [])]
    if named == "AddressInput":
        return [
            ({"country": "XX"}, "INVALID", ["country"]),
            ({"postalCode": "x" * 21}, "TOO_LONG", ["postalCode"]),
            ({"city": "x" * 101}, "TOO_LONG", ["city"]),
        ]
    return []


def sane(response: httpx.Response, what: Any) -> dict[str, Any]:
    """The body of a response that is neither a server error nor an internal error."""
    assert response.status_code == 200, (what, response.status_code, response.text[:300])
    body: dict[str, Any] = response.json()
    internal = [e for e in body.get("errors", []) if e.get("extensions", {}).get("code") == "INTERNAL"]
    assert not internal, (what, internal)
    return body


async def versions(tenant: Tenant, ids: dict[str, str]) -> dict[str, int]:
    fragments = " ".join(f"... on {t} {{ version }}" for t in UPDATABLE_TYPES)
    data = await tenant.data(
        f"query ($ids: [ID!]!) {{ nodes(ids: $ids) {{ {fragments} }} }}", {"ids": [ids[t] for t in UPDATABLE_TYPES]}
    )
    return {t: n["version"] for t, n in zip(UPDATABLE_TYPES, data["nodes"], strict=True)}


async def run_cases(tenant: Tenant, ids: dict[str, str], *, creating: bool) -> tuple[int, list[Any]]:
    """Every bad value of every field of every create (or update) mutation: (cases run, failures)."""
    failures: list[Any] = []
    ran = 0
    current = await versions(tenant, ids)
    for mutation, input_type in (await mutation_inputs(tenant)).items():
        if mutation.startswith("customField") or not mutation.endswith("Create" if creating else "Update"):
            continue
        if mutation == "tenantSettingsUpdate":
            continue  # not an entity; see test_tenant_settings_bad_input
        type_name = input_type.removesuffix("CreateInput").removesuffix("UpdateInput")
        field = type_name[0].lower() + type_name[1:]
        create_fields = await input_fields(tenant, f"{type_name}CreateInput")
        for name, (named, _, is_list) in (await input_fields(tenant, input_type)).items():
            if name in SKIPPED:
                continue
            required = create_fields.get(name, (None, False, False))[1] and creating
            for value, code, sub in bad_values(name, named, required, is_list, ids):
                if creating:
                    document = (
                        f"mutation ($input: {input_type}!) {{ {mutation}(input: $input) {{ {field} {{ id }} "
                        f"{ERRORS} }} }}"
                    )
                    variables: dict[str, Any] = {"input": {**create_inputs(ids)[mutation], name: value}}
                else:
                    document = (
                        f"mutation ($id: ID!, $input: {input_type}!, $v: Int!) {{ {mutation}(id: $id, "
                        f"input: $input, expectedVersion: $v) {{ {field} {{ id }} {ERRORS} }} }}"
                    )
                    variables = {"id": ids[type_name], "input": {name: value}, "v": current[type_name]}
                ran += 1
                body = sane(await tenant.post(document, variables), (mutation, name, value))
                if body.get("errors"):
                    failures.append((mutation, name, value, "request error", body["errors"]))
                    continue
                payload = body["data"][mutation]
                expected = (code, ["input", name, *sub])
                if payload[field] is not None or expected not in codes(payload["userErrors"]):
                    failures.append((mutation, name, str(value)[:40], expected, payload))
    return ran, failures


async def test_create_mutations_report_bad_input(tenant: Tenant) -> None:
    ids = await world(tenant)
    ran, failures = await run_cases(tenant, ids, creating=True)
    assert failures == []
    assert ran >= 150


async def test_update_mutations_report_bad_input(tenant: Tenant) -> None:
    ids = await world(tenant)
    before = await versions(tenant, ids)
    ran, failures = await run_cases(tenant, ids, creating=False)
    assert failures == []
    assert ran >= 150
    assert await versions(tenant, ids) == before  # nothing changed


async def test_updates_need_a_real_id_and_version(tenant: Tenant) -> None:
    ids = await world(tenant)
    current = await versions(tenant, ids)
    inputs = await mutation_inputs(tenant)
    updates = [
        m for m in inputs if m.endswith("Update") and m != "tenantSettingsUpdate" and not m.startswith("customField")
    ]
    assert len(updates) == len(UPDATABLE_TYPES)
    for mutation in updates:
        input_type = inputs[mutation]
        type_name = input_type.removesuffix("UpdateInput")
        field = type_name[0].lower() + type_name[1:]
        document = (
            f"mutation ($id: ID!, $input: {input_type}!, $v: Int!) {{ {mutation}(id: $id, input: $input, "
            f"expectedVersion: $v) {{ {field} {{ id }} {ERRORS} }} }}"
        )
        wrong = ids["Team"] if type_name != "Team" else ids["Product"]
        for bad_id in (global_id(type_name), wrong, "garbage", ""):
            body = sane(await tenant.post(document, {"id": bad_id, "input": {}, "v": 1}), (mutation, bad_id))
            payload = body["data"][mutation]
            assert codes(payload["userErrors"]) == [("NOT_FOUND", ["id"])], (mutation, bad_id, payload)
        stale = sane(
            await tenant.post(document, {"id": ids[type_name], "input": {}, "v": current[type_name] + 1}), mutation
        )["data"][mutation]
        assert codes(stale["userErrors"]) == [("CONFLICT", ["expectedVersion"])], (mutation, stale)


async def test_required_fields_cannot_be_cleared(tenant: Tenant) -> None:
    """A field required on create may not be set to null on update."""
    ids = await world(tenant)
    current = await versions(tenant, ids)
    failures = []
    checked = 0
    inputs = await mutation_inputs(tenant)
    for type_name in UPDATABLE_TYPES:
        field = type_name[0].lower() + type_name[1:]
        create_fields = await input_fields(tenant, f"{type_name}CreateInput")
        update_type = inputs[f"{field}Update"]
        for name in await input_fields(tenant, update_type):
            if name in SKIPPED or not create_fields.get(name, ("", False, False))[1]:
                continue
            checked += 1
            document = (
                f"mutation ($id: ID!, $input: {update_type}!, $v: Int!) {{ {field}Update(id: $id, "
                f"input: $input, expectedVersion: $v) {{ {field} {{ id }} {ERRORS} }} }}"
            )
            body = sane(
                await tenant.post(document, {"id": ids[type_name], "input": {name: None}, "v": current[type_name]}),
                (type_name, name),
            )
            payload = body["data"][f"{field}Update"]
            if ("REQUIRED", ["input", name]) not in codes(payload["userErrors"]):
                failures.append((type_name, name, payload))
    assert failures == []
    assert checked >= 25
    assert await versions(tenant, ids) == current


async def test_malformed_scalars_are_request_errors_not_internal(tenant: Tenant) -> None:
    ids = await world(tenant)
    cases = [
        ("customerCreate", "CustomerCreateInput", {"kind": "ROBOT", "name": "x"}),
        ("customerCreate", "CustomerCreateInput", {"kind": "PERSON", "name": "x", "birthday": "yesterday"}),
        (
            "interactionCreate",
            "InteractionCreateInput",
            {"customerId": ids["Customer"], "channel": "PHONE", "direction": "INBOUND", "occurredAt": "2024-05-01"},
        ),
        (
            "interactionCreate",
            "InteractionCreateInput",
            {
                "customerId": ids["Customer"],
                "channel": "PHONE",
                "direction": "INBOUND",
                "occurredAt": "2024-05-01T10:00:00",
            },
        ),
        ("productCreate", "ProductCreateInput", {"sku": "s", "name": "n", "unitPrice": "ten"}),
        ("productCreate", "ProductCreateInput", {"sku": "s", "name": "n", "unitPrice": "1e400"}),
        ("leadCreate", "LeadCreateInput", {"name": "n", "score": 2**40}),
        ("campaignCreate", "CampaignCreateInput", {"name": "n", "budget": "NaN"}),
        ("campaignCreate", "CampaignCreateInput", {"name": "n", "budget": "Infinity"}),
    ]
    for mutation, input_type, input_ in cases:
        document = f"mutation ($input: {input_type}!) {{ {mutation}(input: $input) {{ {ERRORS} }} }}"
        body = sane(await tenant.post(document, {"input": input_}), (mutation, input_))
        payload = (body.get("data") or {}).get(mutation)
        if payload is not None:  # accepted by the scalar: then the rules must refuse it
            assert payload["userErrors"], (mutation, input_)
        else:
            assert body["errors"], (mutation, input_)
            codes_ = {e["extensions"]["code"] for e in body["errors"]}
            assert codes_ <= {"GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"}, (mutation, body["errors"])


async def test_a_blank_required_email_is_required(tenant: Tenant) -> None:
    data = await tenant.data(
        f"""mutation {{ userCreate(input: {{name: "N", email: "   ", role: MEMBER}}) {{ user {{ id }} {ERRORS} }} }}"""
    )
    assert codes(data["userCreate"]["userErrors"]) == [("REQUIRED", ["input", "email"])]


async def test_tenant_settings_bad_input(tenant: Tenant) -> None:
    document = f"""mutation ($input: TenantSettingsInput!) {{ tenantSettingsUpdate(input: $input) {{
      tenant {{ currency }} {ERRORS} }} }}"""
    for input_, expected in (
        ({"currency": "XYZ"}, ("INVALID", ["input", "currency"])),
        ({"currency": ""}, ("INVALID", ["input", "currency"])),
        ({"newDays": 0}, ("INVALID", ["input", "newDays"])),
        ({"activeDays": -5}, ("INVALID", ["input", "activeDays"])),
        ({"churnDays": 100000}, ("INVALID", ["input", "churnDays"])),
        ({"leadSources": []}, ("INVALID", ["input", "leadSources"])),
        ({"leadSources": ["ok", "x" * 51]}, ("TOO_LONG", ["input", "leadSources"])),
        ({"leadSources": ["a\x00b"]}, ("INVALID", ["input", "leadSources"])),
    ):
        body = sane(await tenant.post(document, {"input": input_}), input_)
        payload = body["data"]["tenantSettingsUpdate"]
        assert payload["tenant"] is None, input_
        assert expected in codes(payload["userErrors"]), (input_, payload)
    tenant_view = (await tenant.data("{ tenant { currency lifecycle { newDays } leadSources } }"))["tenant"]
    assert (tenant_view["currency"], tenant_view["lifecycle"]["newDays"], len(tenant_view["leadSources"])) == (
        "USD",
        30,
        7,
    )
