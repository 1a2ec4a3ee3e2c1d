"""Pipelines, stages and opportunities: the default sales process, opportunity placement, stage moves with
their history, the funnel report, and deletion rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from rapport.tenants import issue_token
from tests.conftest import Tenant
from tests.domain.helpers import (
    ERRORS,
    OPPORTUNITY_FIELDS,
    ago,
    attempt,
    codes,
    company,
    contact,
    create,
    customer,
    default_pipeline,
    delete,
    global_id,
    move,
    node,
    opportunity,
    settings,
    stages,
    unique,
    update,
    user,
)

FUNNEL = """query ($id: ID!, $from: DateTime!, $to: DateTime!) {
  pipelineFunnel(pipelineId: $id, from: $from, to: $to) {
    currency pipeline { id name } stages { stage { name } count amount weightedAmount enteredCount } } }"""


async def owner_id(tenant: Tenant) -> str:
    users = (await tenant.data("{ users(first: 10) { edges { node { id role } } } }"))["users"]["edges"]
    (found,) = [u["node"]["id"] for u in users if u["node"]["role"] == "OWNER"]
    value: str = found
    return value


async def pipeline(
    tenant: Tenant,
    name: str | None = None,
    stage_specs: tuple[tuple[str, int, str], ...] = (
        ("Open", 30, "OPEN"),
        ("Closed won", 100, "WON"),
        ("Closed lost", 0, "LOST"),
    ),
    **fields: Any,
) -> dict[str, Any]:
    """A new pipeline with stages (name, probability, kind), positions 10, 20, ..."""
    made = await create(
        tenant,
        "pipelineCreate",
        "Pipeline",
        {"name": name or unique("Pipeline"), **fields},
        "id name isDefault version",
    )
    made["stages"] = [
        await create(
            tenant,
            "pipelineStageCreate",
            "PipelineStage",
            {"pipelineId": made["id"], "name": stage, "position": 10 * (i + 1), "probability": p, "kind": kind},
            "id name position probability kind version",
        )
        for i, (stage, p, kind) in enumerate(stage_specs)
    ]
    return made


async def funnel(tenant: Tenant, pipeline_id: str, start: str, end: str) -> dict[str, Any] | None:
    value: dict[str, Any] | None = (await tenant.data(FUNNEL, {"id": pipeline_id, "from": start, "to": end}))[
        "pipelineFunnel"
    ]
    return value


# --- the default pipeline --------------------------------------------------------------------------------------


async def test_a_new_tenant_has_the_default_pipeline(tenant: Tenant) -> None:
    found = await default_pipeline(tenant)
    assert found["name"] == "Sales"
    assert [(s["name"], s["probability"], s["kind"]) for s in found["stages"]] == [
        ("Potential", 10, "OPEN"),
        ("Qualified", 20, "OPEN"),
        ("Needs analysis", 40, "OPEN"),
        ("Proposal", 60, "OPEN"),
        ("Negotiation", 80, "OPEN"),
        ("Won", 100, "WON"),
        ("Lost", 0, "LOST"),
    ]
    positions = [s["position"] for s in found["stages"]]
    assert positions == sorted(positions)
    assert len(set(positions)) == 7
    assert (await tenant.data("{ pipelines(first: 5) { totalCount } }"))["pipelines"]["totalCount"] == 1


async def test_every_tenant_has_its_own_default_pipeline(tenant: Tenant, other_tenant: Tenant) -> None:
    mine, theirs = await default_pipeline(tenant), await default_pipeline(other_tenant)
    assert mine["id"] != theirs["id"]
    assert {s["id"] for s in mine["stages"]}.isdisjoint({s["id"] for s in theirs["stages"]})


# --- opportunityCreate ----------------------------------------------------------------------------------------


async def test_opportunity_defaults(tenant: Tenant) -> None:
    buyer = await customer(tenant)
    default = await default_pipeline(tenant)
    made = await opportunity(tenant, buyer, amount="1234.50")
    assert made["pipeline"]["id"] == default["id"]
    assert made["stage"]["name"] == "Potential"
    assert made["probability"] == 10
    assert made["currency"] == "USD"
    assert made["amount"] == "1234.50"
    assert made["closedAt"] is None
    assert made["customer"]["id"] == buyer
    (history,) = made["stageHistory"]
    assert history["fromStage"] is None
    assert history["toStage"]["name"] == "Potential"
    assert history["changedBy"]["id"] == await owner_id(tenant)
    changed = dt.datetime.fromisoformat(history["changedAt"])
    assert abs(changed - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)


async def test_opportunity_currency_follows_the_tenant(tenant: Tenant) -> None:
    await settings(tenant, currency="cny")
    made = await opportunity(tenant, await customer(tenant))
    assert made["currency"] == "CNY"
    given = await opportunity(tenant, await customer(tenant), currency="eur")
    assert given["currency"] == "EUR"


async def test_an_explicit_probability_and_stage_are_kept(tenant: Tenant) -> None:
    buyer, by_name = await customer(tenant), await stages(tenant)
    made = await opportunity(tenant, buyer, probability=35)
    assert (made["stage"]["name"], made["probability"]) == ("Potential", 35)
    placed = await opportunity(tenant, buyer, stageId=by_name["Proposal"]["id"])
    assert (placed["stage"]["name"], placed["probability"]) == ("Proposal", 60)
    assert placed["stageHistory"][0]["toStage"]["name"] == "Proposal"
    won = await opportunity(tenant, buyer, stageId=by_name["Won"]["id"])
    assert won["probability"] == 100
    assert won["closedAt"] is not None


async def test_a_pipeline_starts_at_its_first_stage(tenant: Tenant) -> None:
    other = await pipeline(tenant, stage_specs=(("Later", 50, "OPEN"), ("First", 5, "OPEN"), ("Done", 100, "WON")))
    # Positions decide, not creation order: move "First" before "Later".
    first = other["stages"][1]
    moved = await update(tenant, "PipelineStage", first["id"], {"position": 1}, first["version"])
    assert moved["userErrors"] == []
    made = await opportunity(tenant, await customer(tenant), pipelineId=other["id"])
    assert (made["pipeline"]["id"], made["stage"]["name"], made["probability"]) == (other["id"], "First", 5)


async def test_a_stage_of_another_pipeline_is_refused(tenant: Tenant) -> None:
    other = await pipeline(tenant)
    by_name = await stages(tenant)
    refused = await attempt(
        tenant,
        "opportunityCreate",
        "Opportunity",
        {
            "customerId": await customer(tenant),
            "name": "Deal",
            "pipelineId": other["id"],
            "stageId": by_name["Qualified"]["id"],
        },
    )
    assert codes(refused["userErrors"]) == [("INVALID", ["input", "stageId"])]


async def test_a_pipeline_without_stages_takes_no_opportunities(tenant: Tenant) -> None:
    empty = await pipeline(tenant, stage_specs=())
    refused = await attempt(
        tenant,
        "opportunityCreate",
        "Opportunity",
        {"customerId": await customer(tenant), "name": "Deal", "pipelineId": empty["id"]},
    )
    assert codes(refused["userErrors"]) == [("INVALID_STATE", ["input", "pipelineId"])]


async def test_the_contact_must_work_for_the_customer(tenant: Tenant) -> None:
    acme, globex = await company(tenant), await company(tenant, "Globex")
    acme_person, globex_person = await contact(tenant, acme), await contact(tenant, globex)
    refused = await attempt(
        tenant, "opportunityCreate", "Opportunity", {"customerId": acme, "name": "Deal", "contactId": globex_person}
    )
    assert refused["opportunity"] is None
    assert codes(refused["userErrors"]) == [("INVALID", ["input", "contactId"])]
    made = await opportunity(tenant, acme, contactId=acme_person)
    assert made["contact"]["id"] == acme_person
    switched = await update(tenant, "Opportunity", made["id"], {"contactId": globex_person}, made["version"])
    assert codes(switched["userErrors"]) == [("INVALID", ["input", "contactId"])]
    assert (await tenant.data("{ opportunities(first: 1) { totalCount } }"))["opportunities"]["totalCount"] == 1


async def test_stage_customer_and_pipeline_do_not_change_through_update(tenant: Tenant) -> None:
    made = await opportunity(tenant, await customer(tenant))
    by_name, other = await stages(tenant), await pipeline(tenant)
    for input_, path in (
        ({"stageId": by_name["Won"]["id"]}, "stageId"),
        ({"pipelineId": other["id"]}, "pipelineId"),
        ({"customerId": await customer(tenant, "Someone else")}, "customerId"),
    ):
        payload = await update(tenant, "Opportunity", made["id"], input_, made["version"])
        assert codes(payload["userErrors"]) == [("INVALID_STATE", ["input", path])]
    renamed = await update(
        tenant,
        "Opportunity",
        made["id"],
        {"name": "Renamed", "probability": 45},
        made["version"],
        "name probability stage { name } version",
    )
    assert renamed["opportunity"] == {
        "name": "Renamed",
        "probability": 45,
        "stage": {"name": "Potential"},
        "version": made["version"] + 1,
    }


# --- opportunityMoveStage -------------------------------------------------------------------------------------


async def test_moves_record_the_stage_history(tenant: Tenant) -> None:
    by_name = await stages(tenant)
    made = await opportunity(tenant, await customer(tenant), amount="100.00")
    qualified = await move(tenant, made, by_name["Qualified"]["id"])
    assert qualified["userErrors"] == []
    moved = qualified["opportunity"]
    assert (moved["stage"]["name"], moved["probability"], moved["closedAt"]) == ("Qualified", 20, None)
    assert moved["version"] == made["version"] + 1
    won = (await move(tenant, moved, by_name["Won"]["id"]))["opportunity"]
    assert (won["stage"]["name"], won["probability"]) == ("Won", 100)
    closed = dt.datetime.fromisoformat(won["closedAt"])
    assert abs(closed - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    history = won["stageHistory"]
    assert [(h["fromStage"] and h["fromStage"]["name"], h["toStage"]["name"]) for h in history] == [
        (None, "Potential"),
        ("Potential", "Qualified"),
        ("Qualified", "Won"),
    ]
    times = [h["changedAt"] for h in history]
    assert times == sorted(times)
    owner = await owner_id(tenant)
    assert all(h["changedBy"]["id"] == owner for h in history)
    # Reopening clears the close time.
    reopened = (await move(tenant, won, by_name["Negotiation"]["id"]))["opportunity"]
    assert (reopened["stage"]["name"], reopened["probability"], reopened["closedAt"]) == ("Negotiation", 80, None)
    assert len(reopened["stageHistory"]) == 4


async def test_a_move_records_who_made_it(tenant: Tenant) -> None:
    made = await opportunity(tenant, await customer(tenant))
    email = f"{unique('rep')}@example.com"
    rep = await create(tenant, "userCreate", "User", {"name": "Rep", "email": email, "role": "MEMBER"})
    async with tenant.owner_engine.begin() as conn:
        token = await issue_token(conn, tenant.ref, "MEMBER", user_email=email)
    by_name = await stages(tenant)
    data = await tenant.data(
        f"""mutation ($id: ID!, $stage: ID!, $v: Int!) {{ opportunityMoveStage(id: $id, stageId: $stage,
        expectedVersion: $v) {{ opportunity {{ {OPPORTUNITY_FIELDS} }} {ERRORS} }} }}""",
        {"id": made["id"], "stage": by_name["Proposal"]["id"], "v": made["version"]},
        token,
    )
    history = data["opportunityMoveStage"]["opportunity"]["stageHistory"]
    assert history[-1]["changedBy"]["id"] == rep["id"]
    assert history[0]["changedBy"]["id"] == await owner_id(tenant)


async def test_a_lost_deal_keeps_its_reason(tenant: Tenant) -> None:
    by_name = await stages(tenant)
    made = await opportunity(tenant, await customer(tenant))
    wrong = await move(tenant, made, by_name["Won"]["id"], reason="Too expensive")
    assert codes(wrong["userErrors"]) == [("INVALID", ["lostReason"])]
    lost = (await move(tenant, made, by_name["Lost"]["id"], reason="  Too expensive "))["opportunity"]
    assert (lost["stage"]["kind"], lost["probability"], lost["lostReason"]) == ("LOST", 0, "Too expensive")
    assert lost["closedAt"] is not None


async def test_the_lost_reason_goes_with_the_lost_stage(tenant: Tenant) -> None:
    by_name = await stages(tenant)
    made = await opportunity(tenant, await customer(tenant))
    noted = await update(
        tenant, "Opportunity", made["id"], {"lostReason": "Budget cut"}, made["version"], OPPORTUNITY_FIELDS
    )
    lost = (await move(tenant, noted["opportunity"], by_name["Lost"]["id"]))["opportunity"]
    assert lost["lostReason"] == "Budget cut"  # moving without a reason keeps the one given before
    reopened = (await move(tenant, lost, by_name["Qualified"]["id"]))["opportunity"]
    assert (reopened["lostReason"], reopened["closedAt"]) == (None, None)


async def test_an_overlong_lost_reason_is_a_user_error(tenant: Tenant) -> None:
    by_name = await stages(tenant)
    made = await opportunity(tenant, await customer(tenant))
    payload = await move(tenant, made, by_name["Lost"]["id"], reason="x" * 501)
    assert payload["opportunity"] is None
    assert codes(payload["userErrors"]) == [("TOO_LONG", ["lostReason"])]
    stored = await node(tenant, made["id"], "stage { name } version")
    assert stored == {"stage": {"name": "Potential"}, "version": made["version"]}


async def test_a_stage_of_another_pipeline_cannot_be_entered(tenant: Tenant) -> None:
    other = await pipeline(tenant)
    made = await opportunity(tenant, await customer(tenant))
    payload = await move(tenant, made, other["stages"][0]["id"])
    assert codes(payload["userErrors"]) == [("INVALID", ["stageId"])]
    stored = await node(tenant, made["id"], "stage { name } version stageHistory { toStage { name } }")
    assert stored == {
        "stage": {"name": "Potential"},
        "version": made["version"],
        "stageHistory": [{"toStage": {"name": "Potential"}}],
    }


async def test_a_stale_move_is_a_conflict(tenant: Tenant) -> None:
    by_name = await stages(tenant)
    made = await opportunity(tenant, await customer(tenant))
    assert (await move(tenant, made, by_name["Qualified"]["id"]))["userErrors"] == []
    stale = await move(tenant, made, by_name["Proposal"]["id"])
    assert stale["opportunity"] is None
    assert codes(stale["userErrors"]) == [("CONFLICT", ["expectedVersion"])]
    stored = await node(tenant, made["id"], "stage { name } stageHistory { toStage { name } }")
    assert stored is not None
    assert stored["stage"]["name"] == "Qualified"
    assert [h["toStage"]["name"] for h in stored["stageHistory"]] == ["Potential", "Qualified"]


async def test_moving_to_the_current_stage_changes_nothing(tenant: Tenant) -> None:
    by_name = await stages(tenant)
    made = await opportunity(tenant, await customer(tenant), probability=33)
    payload = await move(tenant, made, by_name["Potential"]["id"])
    assert payload["userErrors"] == []
    assert payload["opportunity"]["version"] == made["version"]
    assert payload["opportunity"]["probability"] == 33
    assert len(payload["opportunity"]["stageHistory"]) == 1


async def test_moves_need_real_ids(tenant: Tenant) -> None:
    by_name = await stages(tenant)
    made = await opportunity(tenant, await customer(tenant))
    unknown_stage = await move(tenant, made, global_id("PipelineStage"))
    assert codes(unknown_stage["userErrors"]) == [("NOT_FOUND", ["stageId"])]
    wrong_type = await move(tenant, made, made["id"])
    assert codes(wrong_type["userErrors"]) == [("NOT_FOUND", ["stageId"])]
    unknown = await move(tenant, {"id": global_id("Opportunity"), "version": 1}, by_name["Won"]["id"])
    assert codes(unknown["userErrors"]) == [("NOT_FOUND", ["id"])]


# --- pipelineFunnel -------------------------------------------------------------------------------------------


async def test_pipeline_funnel(tenant: Tenant) -> None:
    by_name = await stages(tenant)
    default = await default_pipeline(tenant)
    buyer = await customer(tenant)

    async def deal(amount: str, path: list[str], **fields: Any) -> None:
        made = await opportunity(tenant, buyer, amount=amount, **fields)
        for stage in path:
            made = (await move(tenant, made, by_name[stage]["id"]))["opportunity"]

    await deal("1000.00", [])
    await deal("2000.00", ["Qualified", "Proposal"])
    await deal("500.50", ["Qualified", "Won"])
    await deal("300.00", ["Lost"])
    await deal("100.00", [], currency="EUR")  # counted, but not in USD amounts
    await deal("50.00", [], probability=50)
    await deal("0.03", ["Negotiation"], probability=50)  # 0.03 * 80% = 0.024 → 0.02
    gone = await opportunity(tenant, buyer, amount="999.00")
    assert (await delete(tenant, "Opportunity", gone["id"]))["userErrors"] == []
    # Another pipeline's deals stay out.
    other = await pipeline(tenant)
    await opportunity(tenant, buyer, amount="777.00", pipelineId=other["id"])

    report = await funnel(tenant, default["id"], ago(1), ago(-1))
    assert report is not None
    assert report["currency"] == "USD"
    assert report["pipeline"] == {"id": default["id"], "name": "Sales"}
    rows = [
        (s["stage"]["name"], s["count"], s["amount"], s["weightedAmount"], s["enteredCount"]) for s in report["stages"]
    ]
    assert rows == [
        ("Potential", 3, "1050.00", "125.00", 7),
        ("Qualified", 0, "0.00", "0.00", 2),
        ("Needs analysis", 0, "0.00", "0.00", 0),
        ("Proposal", 1, "2000.00", "1200.00", 1),
        ("Negotiation", 1, "0.03", "0.02", 1),
        ("Won", 1, "500.50", "500.50", 1),
        ("Lost", 1, "300.00", "0.00", 1),
    ]
    # Deals created outside the period do not count.
    earlier = await funnel(tenant, default["id"], ago(30), ago(2))
    assert earlier is not None
    assert all((s["count"], s["amount"], s["enteredCount"]) == (0, "0.00", 0) for s in earlier["stages"])
    assert len(earlier["stages"]) == 7


async def test_pipeline_funnel_of_an_unknown_pipeline_is_null(tenant: Tenant, other_tenant: Tenant) -> None:
    theirs = await default_pipeline(other_tenant)
    assert await funnel(tenant, theirs["id"], ago(1), ago(-1)) is None
    assert await funnel(tenant, global_id("Pipeline"), ago(1), ago(-1)) is None
    assert await funnel(tenant, (await stages(tenant))["Won"]["id"], ago(1), ago(-1)) is None


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2024-05-02T00:00:00Z", "2024-05-01T00:00:00Z"),
        ("2024-05-01T00:00:00Z", "2024-05-01T00:00:00Z"),
        ("2010-01-01T00:00:00Z", "2024-05-01T00:00:00Z"),
    ],
)
async def test_pipeline_funnel_refuses_bad_periods(tenant: Tenant, start: str, end: str) -> None:
    default = await default_pipeline(tenant)
    body = await tenant.gql(FUNNEL, {"id": default["id"], "from": start, "to": end})
    assert body["data"] == {"pipelineFunnel": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]


# --- pipelines and stages -------------------------------------------------------------------------------------


async def test_a_new_default_pipeline_replaces_the_old_one(tenant: Tenant) -> None:
    old = await default_pipeline(tenant)
    new = await pipeline(tenant, isDefault=True)
    assert new["isDefault"] is True
    assert (await default_pipeline(tenant))["id"] == new["id"]
    assert (await node(tenant, old["id"], "isDefault"))["isDefault"] is False  # type: ignore[index]
    made = await opportunity(tenant, await customer(tenant))
    assert (made["pipeline"]["id"], made["stage"]["name"]) == (new["id"], "Open")
    # The default cannot simply be switched off.
    stored = await node(tenant, new["id"], "version")
    assert stored is not None
    off = await update(tenant, "Pipeline", new["id"], {"isDefault": False}, stored["version"])
    assert codes(off["userErrors"]) == [("INVALID_STATE", ["input", "isDefault"])]
    back = await node(tenant, old["id"], "version")
    assert back is not None
    again = await update(tenant, "Pipeline", old["id"], {"isDefault": True}, back["version"], "isDefault")
    assert again["userErrors"] == []
    assert (await default_pipeline(tenant))["id"] == old["id"]


async def test_a_refused_default_pipeline_leaves_the_old_default(tenant: Tenant) -> None:
    old = await default_pipeline(tenant)
    refused = await attempt(tenant, "pipelineCreate", "Pipeline", {"name": "  ", "isDefault": True})
    assert codes(refused["userErrors"]) == [("REQUIRED", ["input", "name"])]
    assert (await default_pipeline(tenant))["id"] == old["id"]
    other = await pipeline(tenant)
    stale = await update(tenant, "Pipeline", other["id"], {"isDefault": True, "name": ""}, other["version"])
    assert codes(stale["userErrors"]) == [("REQUIRED", ["input", "name"])]
    assert (await default_pipeline(tenant))["id"] == old["id"]


async def test_stages_and_pipelines_in_use_cannot_be_deleted(tenant: Tenant) -> None:
    by_name = await stages(tenant)
    potential = by_name["Potential"]
    made = await opportunity(tenant, await customer(tenant))
    refused = await delete(tenant, "PipelineStage", potential["id"])
    assert codes(refused["userErrors"]) == [("INVALID_STATE", ["id"])]
    assert refused["deletedId"] is None
    # The default pipeline cannot go, used or not.
    default = await default_pipeline(tenant)
    assert codes((await delete(tenant, "Pipeline", default["id"]))["userErrors"]) == [("INVALID_STATE", ["id"])]
    # A non-default pipeline in use cannot go either.
    other = await pipeline(tenant)
    placed = await opportunity(tenant, await customer(tenant), pipelineId=other["id"])
    assert codes((await delete(tenant, "Pipeline", other["id"]))["userErrors"]) == [("INVALID_STATE", ["id"])]
    assert codes((await delete(tenant, "PipelineStage", other["stages"][0]["id"]))["userErrors"]) == [
        ("INVALID_STATE", ["id"])
    ]
    # Once unused, they can.
    assert (await delete(tenant, "Opportunity", placed["id"]))["userErrors"] == []
    assert (await delete(tenant, "Pipeline", other["id"]))["deletedId"] == other["id"]
    assert (await delete(tenant, "Opportunity", made["id"]))["userErrors"] == []
    assert (await delete(tenant, "PipelineStage", potential["id"]))["deletedId"] == potential["id"]
    assert (await default_pipeline(tenant))["stages"][0]["name"] == "Qualified"
    # An unused stage of the default pipeline could always go.
    assert (await delete(tenant, "PipelineStage", by_name["Needs analysis"]["id"]))["userErrors"] == []


async def test_a_stage_cannot_move_to_another_pipeline(tenant: Tenant) -> None:
    other = await pipeline(tenant)
    stage = other["stages"][0]
    moved = await update(
        tenant, "PipelineStage", stage["id"], {"pipelineId": (await default_pipeline(tenant))["id"]}, stage["version"]
    )
    assert codes(moved["userErrors"]) == [("INVALID_STATE", ["input", "pipelineId"])]


async def test_pipelines_are_configured_by_admins(tenant: Tenant) -> None:
    member = await tenant.token_for("MEMBER")
    body = await tenant.gql(
        f'mutation {{ pipelineCreate(input: {{name: "Mine"}}) {{ pipeline {{ id }} {ERRORS} }} }}', token=member
    )
    assert body["data"]["pipelineCreate"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    admin = await tenant.token_for("ADMIN")
    made = await create(tenant, "pipelineCreate", "Pipeline", {"name": "Mine"}, token=admin)
    assert made["id"]


async def test_inactive_users_take_no_new_deals(tenant: Tenant) -> None:
    rep, other = await user(tenant, "Leaving"), await user(tenant, "Staying")
    buyer = await customer(tenant)
    kept = await opportunity(tenant, buyer, ownerId=rep)
    assert (await update(tenant, "User", rep, {"active": False}, 1))["userErrors"] == []
    refused = await attempt(
        tenant, "opportunityCreate", "Opportunity", {"customerId": buyer, "name": "New", "ownerId": rep}
    )
    assert codes(refused["userErrors"]) == [("INVALID_STATE", ["input", "ownerId"])]
    handed = await opportunity(tenant, buyer, ownerId=other)
    back = await update(tenant, "Opportunity", handed["id"], {"ownerId": rep}, handed["version"])
    assert codes(back["userErrors"]) == [("INVALID_STATE", ["input", "ownerId"])]
    # Deals they hold stay theirs, and still move.
    renamed = await update(tenant, "Opportunity", kept["id"], {"name": "Kept"}, kept["version"], OPPORTUNITY_FIELDS)
    assert renamed["opportunity"]["owner"] == {"id": rep}
    moved = await move(tenant, renamed["opportunity"], (await stages(tenant))["Won"]["id"])
    assert moved["userErrors"] == []
