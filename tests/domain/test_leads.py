"""Leads over the API: CRUD, lead sources from the tenant's settings, and leadConvert (with or without a
company and an opportunity, once only, all or nothing)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from tests.conftest import Tenant
from tests.domain.helpers import (
    ERRORS,
    LEAD_FIELDS,
    OPPORTUNITY_FIELDS,
    attempt,
    codes,
    default_pipeline,
    delete,
    global_id,
    lead,
    node,
    settings,
    update,
    user,
)

CONVERT = f"""mutation ($id: ID!, $create: Boolean! = false, $opportunity: LeadConvertOpportunityInput, $v: Int) {{
  leadConvert(id: $id, createOpportunity: $create, opportunity: $opportunity, expectedVersion: $v) {{
    lead {{ {LEAD_FIELDS} }}
    customer {{ id kind name email phone tags sourceChannel owner {{ id }}
               contacts(first: 5) {{ edges {{ node {{ id }} }} }} }}
    contact {{ id name title email phone customer {{ id }} }}
    opportunity {{ {OPPORTUNITY_FIELDS} }}
    {ERRORS} }} }}"""

COUNTS = """{ customers(first: 1) { totalCount } contacts(first: 1) { totalCount }
  opportunities(first: 1) { totalCount } leads(first: 1) { totalCount } }"""


async def convert(tenant: Tenant, lead_id: str, **variables: Any) -> dict[str, Any]:
    payload: dict[str, Any] = (await tenant.data(CONVERT, {"id": lead_id, **variables}))["leadConvert"]
    return payload


async def counts(tenant: Tenant) -> dict[str, int]:
    data = await tenant.data(COUNTS)
    return {name: value["totalCount"] for name, value in data.items()}


# --- CRUD -----------------------------------------------------------------------------------------------------


async def test_create_read_update_delete(tenant: Tenant) -> None:
    made = await lead(
        tenant,
        "  Linus Prospect ",
        email=" Linus@Example.COM ",
        phone="+86 138 0013 8000",
        company="Initech",
        title="CTO",
        source="website",
        tags=["vip", " vip ", "tech"],
        score=70,
    )
    assert {
        k: made[k]
        for k in (
            "name",
            "email",
            "phone",
            "company",
            "title",
            "source",
            "status",
            "score",
            "tags",
            "convertedAt",
            "customer",
            "version",
        )
    } == {
        "name": "Linus Prospect",
        "email": "Linus@example.com",
        "phone": "+8613800138000",
        "company": "Initech",
        "title": "CTO",
        "source": "website",
        "status": "NEW",
        "score": 70,
        "tags": ["vip", "tech"],
        "convertedAt": None,
        "customer": None,
        "version": 1,
    }
    assert await node(tenant, made["id"], "name status") == {"name": "Linus Prospect", "status": "NEW"}
    changed = await update(
        tenant,
        "Lead",
        made["id"],
        {"status": "QUALIFIED", "score": 90, "company": None},
        made["version"],
        "status score company version",
    )
    assert changed["userErrors"] == []
    assert changed["lead"] == {"status": "QUALIFIED", "score": 90, "company": None, "version": 2}
    stale = await update(tenant, "Lead", made["id"], {"score": 1}, made["version"])
    assert codes(stale["userErrors"]) == [("CONFLICT", ["expectedVersion"])]
    gone = await delete(tenant, "Lead", made["id"], 2)
    assert gone == {"deletedId": made["id"], "userErrors": []}
    assert await node(tenant, made["id"]) is None
    assert (await counts(tenant))["leads"] == 0


async def test_a_lead_with_only_a_name(tenant: Tenant) -> None:
    made = await lead(tenant, "Just A Name")
    assert (made["status"], made["score"], made["tags"], made["source"]) == ("NEW", 0, [], None)


@pytest.mark.parametrize(
    ("input_", "error"),
    [
        ({"name": "  "}, ("REQUIRED", ["input", "name"])),
        ({"name": "X", "score": 101}, ("TOO_LARGE", ["input", "score"])),
        ({"name": "X", "score": -1}, ("TOO_SMALL", ["input", "score"])),
        ({"name": "X", "email": "not an email"}, ("INVALID_EMAIL", ["input", "email"])),
        ({"name": "X", "phone": "12"}, ("INVALID_PHONE", ["input", "phone"])),
        ({"name": "X", "ownerId": global_id("User")}, ("NOT_FOUND", ["input", "ownerId"])),
        ({"name": "X", "status": "CONVERTED"}, ("INVALID_STATE", ["input", "status"])),
        ({"name": "X", "source": "carrier pigeon"}, ("UNKNOWN_OPTION", ["input", "source"])),
    ],
)
async def test_bad_lead_input(tenant: Tenant, input_: dict[str, Any], error: tuple[str, list[str]]) -> None:
    refused = await attempt(tenant, "leadCreate", "Lead", input_)
    assert refused["lead"] is None
    assert codes(refused["userErrors"]) == [error]
    assert (await counts(tenant))["leads"] == 0


# --- sources --------------------------------------------------------------------------------------------------


async def test_sources_come_from_the_tenants_settings(tenant: Tenant) -> None:
    tenant_view = (await tenant.data("{ tenant { leadSources } }"))["tenant"]
    assert tenant_view["leadSources"] == ["ad", "event", "referral", "website", "cold call", "social", "other"]
    old = await lead(tenant, source="website")
    changed = await settings(tenant, leadSources=[" trade fair ", "webinar", "webinar"])
    assert changed["leadSources"] == ["trade fair", "webinar"]
    assert (await lead(tenant, source="trade fair"))["source"] == "trade fair"
    refused = await attempt(tenant, "leadCreate", "Lead", {"name": "X", "source": "website"})
    assert codes(refused["userErrors"]) == [("UNKNOWN_OPTION", ["input", "source"])]
    assert "trade fair" in refused["userErrors"][0]["message"]
    # Leads keep the source they had; other changes still go through; a new source must be allowed.
    kept = await update(tenant, "Lead", old["id"], {"score": 5}, old["version"], "source score")
    assert kept["lead"] == {"source": "website", "score": 5}
    resourced = await update(tenant, "Lead", old["id"], {"source": "ad"}, old["version"] + 1)
    assert codes(resourced["userErrors"]) == [("UNKNOWN_OPTION", ["input", "source"])]
    cleared = await update(tenant, "Lead", old["id"], {"source": None}, old["version"] + 1, "source")
    assert cleared["lead"] == {"source": None}


@pytest.mark.parametrize("sources", [[], ["  "], [f"s{i}" for i in range(51)], ["x" * 51]])
async def test_lead_sources_must_be_sensible(tenant: Tenant, sources: list[str]) -> None:
    data = await tenant.data(
        "mutation ($s: [String!]) { tenantSettingsUpdate(input: {leadSources: $s}) "
        f"{{ tenant {{ id }} {ERRORS} }} }}",
        {"s": sources},
    )
    payload = data["tenantSettingsUpdate"]
    assert payload["tenant"] is None
    assert payload["userErrors"]
    assert {e["field"][1] for e in payload["userErrors"]} == {"leadSources"}
    assert (await tenant.data("{ tenant { leadSources } }"))["tenant"]["leadSources"][0] == "ad"


async def test_only_admins_change_lead_sources(tenant: Tenant) -> None:
    member = await tenant.token_for("MEMBER")
    body = await tenant.gql(
        f'mutation {{ tenantSettingsUpdate(input: {{leadSources: ["x"]}}) {{ tenant {{ id }} {ERRORS} }} }}',
        token=member,
    )
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert (await tenant.data("{ tenant { leadSources } }"))["tenant"]["leadSources"][0] == "ad"


# --- status ---------------------------------------------------------------------------------------------------


async def test_converted_only_through_lead_convert(tenant: Tenant) -> None:
    made = await lead(tenant)
    refused = await update(tenant, "Lead", made["id"], {"status": "CONVERTED"}, made["version"])
    assert codes(refused["userErrors"]) == [("INVALID_STATE", ["input", "status"])]
    converted = await convert(tenant, made["id"])
    assert converted["userErrors"] == []
    done = converted["lead"]
    back = await update(tenant, "Lead", made["id"], {"status": "QUALIFIED"}, done["version"])
    assert codes(back["userErrors"]) == [("INVALID_STATE", ["input", "status"])]
    same = await update(tenant, "Lead", made["id"], {"status": "CONVERTED", "score": 99}, done["version"], "status")
    assert same["userErrors"] == []
    assert same["lead"] == {"status": "CONVERTED"}


# --- leadConvert ----------------------------------------------------------------------------------------------


async def test_convert_a_person(tenant: Tenant) -> None:
    rep = await user(tenant, "Rep")
    made = await lead(
        tenant,
        "Ada Person",
        email="ada@example.com",
        phone="+4915112345678",
        source="referral",
        tags=["warm"],
        ownerId=rep,
    )
    before = dt.datetime.now(dt.UTC)
    payload = await convert(tenant, made["id"], v=made["version"])
    assert payload["userErrors"] == []
    customer = payload["customer"]
    assert {k: customer[k] for k in ("kind", "name", "email", "phone", "tags", "sourceChannel", "owner")} == {
        "kind": "PERSON",
        "name": "Ada Person",
        "email": "ada@example.com",
        "phone": "+4915112345678",
        "tags": ["warm"],
        "sourceChannel": "referral",
        "owner": {"id": rep},
    }
    assert payload["contact"] is None
    assert payload["opportunity"] is None
    converted = payload["lead"]
    assert converted["status"] == "CONVERTED"
    assert converted["version"] == made["version"] + 1
    assert dt.datetime.fromisoformat(converted["convertedAt"]) >= before - dt.timedelta(seconds=1)
    assert converted["customer"] == {"id": customer["id"], "name": "Ada Person", "kind": "PERSON"}
    assert (converted["contact"], converted["opportunity"]) == (None, None)
    assert await counts(tenant) == {"customers": 1, "contacts": 0, "opportunities": 0, "leads": 1}


async def test_convert_a_company_lead_with_an_opportunity(tenant: Tenant) -> None:
    made = await lead(tenant, "Bob Buyer", company="Initech", title="Purchasing", email="bob@initech.example")
    payload = await convert(tenant, made["id"], create=True)
    assert payload["userErrors"] == []
    customer, contact, deal = payload["customer"], payload["contact"], payload["opportunity"]
    assert (customer["kind"], customer["name"], customer["email"]) == ("COMPANY", "Initech", None)
    assert contact == {
        "id": contact["id"],
        "name": "Bob Buyer",
        "title": "Purchasing",
        "email": "bob@initech.example",
        "phone": None,
        "customer": {"id": customer["id"]},
    }
    assert customer["contacts"]["edges"] == [{"node": {"id": contact["id"]}}]
    default = await default_pipeline(tenant)
    assert (deal["name"], deal["pipeline"]["id"], deal["stage"]["name"], deal["currency"]) == (
        "Initech",
        default["id"],
        "Potential",
        "USD",
    )
    assert (deal["customer"]["id"], deal["contact"]["id"]) == (customer["id"], contact["id"])
    converted = payload["lead"]
    assert converted["customer"]["id"] == customer["id"]
    assert converted["contact"]["id"] == contact["id"]
    assert converted["opportunity"]["id"] == deal["id"]
    assert await counts(tenant) == {"customers": 1, "contacts": 1, "opportunities": 1, "leads": 1}


async def test_convert_with_opportunity_details(tenant: Tenant) -> None:
    made = await lead(tenant, "Carol", company="Hooli")
    other = await tenant.mutate(
        f'mutation {{ pipelineCreate(input: {{name: "Enterprise"}}) {{ pipeline {{ id }} {ERRORS} }} }}'
    )
    pipeline_id = other["pipeline"]["id"]
    await tenant.mutate(
        f"""mutation ($p: ID!) {{ pipelineStageCreate(input: {{pipelineId: $p, name: "Discovery", position: 1,
        probability: 15}}) {{ pipelineStage {{ id }} {ERRORS} }} }}""",
        {"p": pipeline_id},
    )
    payload = await convert(
        tenant,
        made["id"],
        opportunity={
            "name": "Hooli rollout",
            "amount": "25000.00",
            "currency": "eur",
            "pipelineId": pipeline_id,
            "expectedCloseDate": "2030-06-30",
        },
    )
    assert payload["userErrors"] == []
    deal = payload["opportunity"]
    assert (deal["name"], deal["amount"], deal["currency"], deal["expectedCloseDate"]) == (
        "Hooli rollout",
        "25000.00",
        "EUR",
        "2030-06-30",
    )
    assert (deal["pipeline"]["id"], deal["stage"]["name"], deal["probability"]) == (pipeline_id, "Discovery", 15)


async def test_converting_twice_is_refused(tenant: Tenant) -> None:
    made = await lead(tenant, company="Initech")
    assert (await convert(tenant, made["id"]))["userErrors"] == []
    again = await convert(tenant, made["id"], create=True)
    assert codes(again["userErrors"]) == [("INVALID_STATE", ["id"])]
    assert (again["lead"], again["customer"]) == (None, None)
    assert await counts(tenant) == {"customers": 1, "contacts": 1, "opportunities": 0, "leads": 1}


async def test_unqualified_stale_and_unknown_leads_are_refused(tenant: Tenant) -> None:
    made = await lead(tenant)
    stale = await convert(tenant, made["id"], v=made["version"] + 1)
    assert codes(stale["userErrors"]) == [("CONFLICT", ["expectedVersion"])]
    dropped = await update(tenant, "Lead", made["id"], {"status": "UNQUALIFIED"}, made["version"])
    assert dropped["userErrors"] == []
    assert codes((await convert(tenant, made["id"]))["userErrors"]) == [("INVALID_STATE", ["id"])]
    assert codes((await convert(tenant, global_id("Lead")))["userErrors"]) == [("NOT_FOUND", ["id"])]
    assert codes((await convert(tenant, global_id("Customer")))["userErrors"]) == [("NOT_FOUND", ["id"])]
    assert (await counts(tenant))["customers"] == 0


async def test_a_deleted_lead_cannot_be_converted(tenant: Tenant) -> None:
    made = await lead(tenant)
    assert (await delete(tenant, "Lead", made["id"]))["userErrors"] == []
    assert codes((await convert(tenant, made["id"]))["userErrors"]) == [("NOT_FOUND", ["id"])]


async def assert_nothing_written(tenant: Tenant, made: dict[str, Any]) -> None:
    assert await counts(tenant) == {"customers": 0, "contacts": 0, "opportunities": 0, "leads": 1}
    stored = await node(tenant, made["id"], LEAD_FIELDS)
    assert stored == made


async def test_conversion_is_all_or_nothing_when_the_customer_fails(tenant: Tenant) -> None:
    made = await lead(tenant, "Dan", company="Umbrella")
    await tenant.add_field("CUSTOMER", "vatNumber", "TEXT", required="true")
    payload = await convert(tenant, made["id"], create=True)
    assert (payload["lead"], payload["customer"], payload["contact"], payload["opportunity"]) == (None,) * 4
    assert codes(payload["userErrors"]) == [("REQUIRED", ["customer", "input", "custom", "vatNumber"])]
    await assert_nothing_written(tenant, made)


async def test_conversion_is_all_or_nothing_when_the_contact_fails(tenant: Tenant) -> None:
    made = await lead(tenant, "Erin", company="Cyberdyne")
    await tenant.add_field("CONTACT", "badge", "TEXT", required="true")
    payload = await convert(tenant, made["id"], create=True)
    assert codes(payload["userErrors"]) == [("REQUIRED", ["contact", "input", "custom", "badge"])]
    await assert_nothing_written(tenant, made)


@pytest.mark.parametrize(
    ("opportunity", "error"),
    [
        ({"pipelineId": global_id("Pipeline")}, ("NOT_FOUND", ["opportunity", "input", "pipelineId"])),
        ({"currency": "XYZ"}, ("INVALID", ["opportunity", "input", "currency"])),
        ({"amount": "-5"}, ("TOO_SMALL", ["opportunity", "input", "amount"])),
        ({"name": "x" * 201}, ("TOO_LONG", ["opportunity", "input", "name"])),
    ],
)
async def test_conversion_is_all_or_nothing_when_the_opportunity_fails(
    tenant: Tenant, opportunity: dict[str, Any], error: tuple[str, list[str]]
) -> None:
    made = await lead(tenant, "Fay", company="Soylent")
    payload = await convert(tenant, made["id"], opportunity=opportunity)
    assert codes(payload["userErrors"]) == [error]
    await assert_nothing_written(tenant, made)
    # The lead converts once the problem is gone.
    assert (await convert(tenant, made["id"], create=True))["userErrors"] == []


async def test_concurrent_conversions_convert_once(tenant: Tenant) -> None:
    made = await lead(tenant, "Gus", company="Race Inc")
    responses = await asyncio.gather(*(tenant.post(CONVERT, {"id": made["id"], "create": True}) for _ in range(8)))
    assert [r.status_code for r in responses] == [200] * 8
    payloads = [r.json()["data"]["leadConvert"] for r in responses]
    done = [p for p in payloads if not p["userErrors"]]
    assert len(done) == 1
    for refused in (p for p in payloads if p["userErrors"]):
        assert refused["userErrors"][0]["code"] in ("INVALID_STATE", "CONFLICT"), refused
        assert refused["customer"] is None
    assert await counts(tenant) == {"customers": 1, "contacts": 1, "opportunities": 1, "leads": 1}
    stored = await node(tenant, made["id"], "customer { id } opportunity { id }")
    assert stored == {
        "customer": {"id": done[0]["customer"]["id"]},
        "opportunity": {"id": done[0]["opportunity"]["id"]},
    }


async def deactivate(tenant: Tenant, user_id: str) -> None:
    payload = await update(tenant, "User", user_id, {"active": False}, 1, "active")
    assert payload["userErrors"] == []


async def test_inactive_users_take_no_new_leads(tenant: Tenant) -> None:
    rep = await user(tenant, "Leaving")
    kept = await lead(tenant, ownerId=rep)
    await deactivate(tenant, rep)
    refused = await attempt(tenant, "leadCreate", "Lead", {"name": "New", "ownerId": rep})
    assert codes(refused["userErrors"]) == [("INVALID_STATE", ["input", "ownerId"])]
    # The leads they hold stay theirs and can still be worked on.
    changed = await update(tenant, "Lead", kept["id"], {"score": 40, "ownerId": rep}, kept["version"], "owner { id }")
    assert changed["userErrors"] == []
    assert changed["lead"] == {"owner": {"id": rep}}


async def test_converting_the_lead_of_an_inactive_user(tenant: Tenant) -> None:
    rep = await user(tenant, "Leaving")
    made = await lead(tenant, "Hal", company="Orphan Co", ownerId=rep)
    await deactivate(tenant, rep)
    payload = await convert(tenant, made["id"], create=True)
    assert payload["userErrors"] == []
    assert payload["customer"]["owner"] is None
    assert payload["opportunity"]["owner"] is None
