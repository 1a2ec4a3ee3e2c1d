"""Tenant isolation for every entity type: tenant B cannot read, find, filter, change, delete or refer to
tenant A's objects, and nested fields never lead into another tenant."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rapport.ids import from_global_id
from tests.conftest import Tenant
from tests.domain.helpers import (
    ERRORS,
    MOVE,
    REFERENCES,
    codes,
    create_inputs,
    input_fields,
    line,
    mutation_inputs,
    update_inputs,
    world,
)

ROOTS = {
    "Customer": "customers",
    "Contact": "contacts",
    "Lead": "leads",
    "Opportunity": "opportunities",
    "Pipeline": "pipelines",
    "Product": "products",
    "Order": "orders",
    "ServiceCase": "serviceCases",
    "Interaction": "interactions",
    "Feedback": "feedback",
    "Campaign": "campaigns",
    "User": "users",
    "Team": "teams",
    "MembershipTier": "membershipTiers",
}
UPDATABLE = (
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
DELETABLE = tuple(t for t in UPDATABLE if t != "User")


@pytest.fixture
async def worlds(tenant: Tenant, other_tenant: Tenant) -> tuple[dict[str, str], dict[str, str]]:
    """One of everything in tenant A (``tenant``) and in tenant B (``other_tenant``)."""
    return await world(tenant), await world(other_tenant)


async def snapshot(tenant: Tenant, ids: dict[str, str]) -> list[Any]:
    """Every object of a world as the tenant reads it (with versions where they exist)."""
    fragments = " ".join(
        f"... on {type_name} {{ id {'version' if type_name in UPDATABLE else ''} }}" for type_name in ids
    )
    data = await tenant.data(
        f"query ($ids: [ID!]!) {{ nodes(ids: $ids) {{ {fragments} }} }}", {"ids": list(ids.values())}
    )
    nodes: list[Any] = data["nodes"]
    return nodes


async def versions(tenant: Tenant, ids: dict[str, str]) -> dict[str, int]:
    """The current version of every updatable object of a world."""
    nodes = await snapshot(tenant, ids)
    return {type_name: n["version"] for type_name, n in zip(ids, nodes, strict=True) if type_name in UPDATABLE}


def all_ids(value: Any) -> set[str]:
    """Every string in a response that decodes as one of our global IDs."""
    found: set[str] = set()
    if isinstance(value, dict):
        for item in value.values():
            found |= all_ids(item)
    elif isinstance(value, list):
        for item in value:
            found |= all_ids(item)
    elif isinstance(value, str) and from_global_id(value) is not None:
        found.add(value)
    return found


async def test_the_worlds_cover_every_entity_type(
    worlds: tuple[dict[str, str], dict[str, str]], tenant: Tenant
) -> None:
    a, _ = worlds
    types = (await tenant.data('{ __type(name: "Node") { possibleTypes { name } } }'))["__type"]["possibleTypes"]
    assert {t["name"] for t in types} == set(a)
    assert None not in await snapshot(tenant, a)


async def test_node_never_crosses(
    worlds: tuple[dict[str, str], dict[str, str]], tenant: Tenant, other_tenant: Tenant
) -> None:
    a, b = worlds
    for type_name, id_ in a.items():
        data = await other_tenant.data(
            f"query ($id: ID!) {{ node(id: $id) {{ id ... on {type_name} {{ id }} }} }}", {"id": id_}
        )
        assert data["node"] is None, type_name
    assert await snapshot(other_tenant, a) == [None] * len(a)
    assert None not in await snapshot(other_tenant, b)
    assert await snapshot(tenant, b) == [None] * len(b)


async def test_root_connections_never_cross(
    worlds: tuple[dict[str, str], dict[str, str]], tenant: Tenant, other_tenant: Tenant
) -> None:
    a, b = worlds
    for type_name, root in ROOTS.items():
        query = f"{{ {root}(first: 100) {{ totalCount edges {{ node {{ id }} }} }} }}"
        theirs = {e["node"]["id"] for e in (await other_tenant.data(query))[root]["edges"]}
        mine = {e["node"]["id"] for e in (await tenant.data(query))[root]["edges"]}
        assert a[type_name] in mine, type_name
        assert b[type_name] in theirs, type_name
        assert theirs.isdisjoint(mine), type_name


async def test_filters_never_cross(
    worlds: tuple[dict[str, str], dict[str, str]], tenant: Tenant, other_tenant: Tenant
) -> None:
    """Every ID filter of every root, given tenant A's IDs: A finds its objects, B finds nothing."""
    a, _ = worlds
    checked = 0
    for type_name, root in ROOTS.items():
        fields = await input_fields(tenant, f"{type_name}Filter")
        for name, (filter_type, _, _) in fields.items():
            if filter_type != "IDFilter":
                continue
            target = type_name if name == "id" else REFERENCES[name]
            query = (
                f"query ($f: {type_name}Filter) {{ {root}(first: 10, filter: $f) {{ totalCount "
                f"edges {{ node {{ id }} }} }} }}"
            )
            for op in ({"eq": a[target]}, {"in": [a[target]]}):
                variables = {"f": {name: op}}
                found = (await tenant.data(query, variables))[root]
                if found["totalCount"] == 0:
                    continue  # the world does not link these two; nothing to show
                checked += 1
                assert a[type_name] in {e["node"]["id"] for e in found["edges"]}, (root, name)
                crossed = (await other_tenant.data(query, variables))[root]
                assert (crossed["totalCount"], crossed["edges"]) == (0, []), (root, name)
    assert checked >= 30


async def test_updates_and_deletes_never_cross(
    worlds: tuple[dict[str, str], dict[str, str]], tenant: Tenant, other_tenant: Tenant
) -> None:
    a, b = worlds
    before = await snapshot(tenant, a)
    changes = update_inputs()
    for type_name in UPDATABLE:
        field = type_name[0].lower() + type_name[1:]
        payload = (
            await other_tenant.data(
                f"mutation ($id: ID!, $input: {type_name}UpdateInput!) {{ {field}Update(id: $id, input: $input, "
                f"expectedVersion: 1) {{ {field} {{ id }} {ERRORS} }} }}",
                {"id": a[type_name], "input": changes[type_name]},
            )
        )[f"{field}Update"]
        assert payload[field] is None, type_name
        assert codes(payload["userErrors"]) == [("NOT_FOUND", ["id"])], type_name
    for type_name in DELETABLE:
        field = type_name[0].lower() + type_name[1:]
        payload = (
            await other_tenant.data(
                f"mutation ($id: ID!) {{ {field}Delete(id: $id) {{ deletedId {ERRORS} }} }}", {"id": a[type_name]}
            )
        )[f"{field}Delete"]
        assert payload["deletedId"] is None, type_name
        assert codes(payload["userErrors"]) == [("NOT_FOUND", ["id"])], type_name
    assert await snapshot(tenant, a) == before
    # B's own objects take the same changes (so the refusals above were about the tenant).
    own = await versions(other_tenant, b)
    for type_name in UPDATABLE:
        field = type_name[0].lower() + type_name[1:]
        payload = (
            await other_tenant.data(
                f"mutation ($id: ID!, $input: {type_name}UpdateInput!, $v: Int!) {{ {field}Update(id: $id, "
                f"input: $input, expectedVersion: $v) {{ {field} {{ id }} {ERRORS} }} }}",
                {"id": b[type_name], "input": update_inputs()[type_name], "v": own[type_name]},
            )
        )[f"{field}Update"]
        assert payload["userErrors"] == [], (type_name, payload)


async def test_create_and_update_mutations_never_refer_across(
    worlds: tuple[dict[str, str], dict[str, str]], tenant: Tenant, other_tenant: Tenant
) -> None:
    """Every ID input of every create and update mutation, given tenant A's object from tenant B: NOT_FOUND."""
    a, b = worlds
    before_a, before_b = await snapshot(tenant, a), await snapshot(other_tenant, b)
    counts = "{ " + " ".join(f"{root}(first: 1) {{ totalCount }}" for root in ROOTS.values()) + " }"
    counts_b = await other_tenant.data(counts)
    inputs = await mutation_inputs(other_tenant)
    own = await versions(other_tenant, b)
    checked = 0
    for mutation, input_type in inputs.items():
        if not mutation.endswith(("Create", "Update")) or mutation.startswith("customField"):
            continue
        type_name = input_type.removesuffix("CreateInput").removesuffix("UpdateInput")
        field = type_name[0].lower() + type_name[1:]
        creating = mutation.endswith("Create")
        for name, (named, _, _) in (await input_fields(other_tenant, input_type)).items():
            if named != "ID":
                continue
            base = create_inputs(b)[mutation] if creating else {}
            variables: dict[str, Any] = {"input": {**base, name: a[REFERENCES[name]]}}
            if creating:
                document = (
                    f"mutation ($input: {input_type}!) {{ {mutation}(input: $input) {{ {field} {{ id }} {ERRORS} }} }}"
                )
            else:
                document = (
                    f"mutation ($id: ID!, $input: {input_type}!, $v: Int!) {{ {mutation}(id: $id, input: $input, "
                    f"expectedVersion: $v) {{ {field} {{ id }} {ERRORS} }} }}"
                )
                variables["id"] = b[type_name]
                variables["v"] = own[type_name]
            payload = (await other_tenant.data(document, variables))[mutation]
            assert payload[field] is None, (mutation, name)
            assert ("NOT_FOUND", ["input", name]) in codes(payload["userErrors"]), (mutation, name, payload)
            checked += 1
    assert checked >= 40
    # Order lines name products.
    crossed = (
        await other_tenant.data(
            f"mutation ($input: OrderCreateInput!) {{ orderCreate(input: $input) {{ order {{ id }} {ERRORS} }} }}",
            {"input": {"customerId": b["Customer"], "items": [line(a["Product"])]}},
        )
    )["orderCreate"]
    assert codes(crossed["userErrors"]) == [("NOT_FOUND", ["input", "items", "0", "productId"])]
    # Nothing was written anywhere.
    assert await snapshot(tenant, a) == before_a
    assert await snapshot(other_tenant, b) == before_b
    assert await other_tenant.data(counts) == counts_b


async def test_special_mutations_never_cross(
    worlds: tuple[dict[str, str], dict[str, str]], tenant: Tenant, other_tenant: Tenant
) -> None:
    a, b = worlds
    before = await snapshot(tenant, a)
    ledger_doc = f"""mutation ($input: LedgerEntryInput!) {{ ledgerRecord(input: $input) {{ entry {{ id }}
      {ERRORS} }} }}"""
    recorded = (
        await other_tenant.data(
            ledger_doc,
            {
                "input": {
                    "customerId": a["Customer"],
                    "account": "POINTS",
                    "kind": "EARN",
                    "amount": "1.00",
                    "reference": "cross",
                }
            },
        )
    )["ledgerRecord"]
    assert codes(recorded["userErrors"]) == [("NOT_FOUND", ["input", "customerId"])]

    convert_doc = f"""mutation ($id: ID!, $o: LeadConvertOpportunityInput) {{ leadConvert(id: $id, opportunity: $o)
      {{ lead {{ id }} customer {{ id }} {ERRORS} }} }}"""
    converted = (await other_tenant.data(convert_doc, {"id": a["Lead"]}))["leadConvert"]
    assert codes(converted["userErrors"]) == [("NOT_FOUND", ["id"])]
    # B's own lead, converted into A's pipeline.
    into = (await other_tenant.data(convert_doc, {"id": b["Lead"], "o": {"pipelineId": a["Pipeline"]}}))["leadConvert"]
    assert codes(into["userErrors"]) == [("NOT_FOUND", ["opportunity", "input", "pipelineId"])]

    theirs = await other_tenant.data(MOVE, {"id": a["Opportunity"], "stage": a["PipelineStage"], "v": 1})
    assert codes(theirs["opportunityMoveStage"]["userErrors"]) == [("NOT_FOUND", ["id"]), ("NOT_FOUND", ["stageId"])]
    own_deal_foreign_stage = await other_tenant.data(
        MOVE, {"id": b["Opportunity"], "stage": a["PipelineStage"], "v": 1}
    )
    assert codes(own_deal_foreign_stage["opportunityMoveStage"]["userErrors"]) == [("NOT_FOUND", ["stageId"])]
    foreign_deal_own_stage = await other_tenant.data(
        MOVE, {"id": a["Opportunity"], "stage": b["PipelineStage"], "v": 1}
    )
    assert codes(foreign_deal_own_stage["opportunityMoveStage"]["userErrors"]) == [("NOT_FOUND", ["id"])]

    shipped = (
        await other_tenant.data(
            f"""mutation ($id: ID!) {{ orderAddShipmentEvent(orderId: $id, input: {{status: "LOST"}}) {{ order {{ id }}
        {ERRORS} }} }}""",
            {"id": a["Order"]},
        )
    )["orderAddShipmentEvent"]
    assert codes(shipped["userErrors"]) == [("NOT_FOUND", ["orderId"])]

    summary = "query ($id: ID!) { customerSummary(id: $id) { id name } }"
    assert (await other_tenant.data(summary, {"id": a["Customer"]}))["customerSummary"] is None
    assert (await tenant.data(summary, {"id": a["Customer"]}))["customerSummary"] is not None
    funnel = await other_tenant.data(
        """query ($id: ID!) { pipelineFunnel(pipelineId: $id, from: "2020-01-01T00:00:00Z",
        to: "2029-01-01T00:00:00Z") { currency } }""",
        {"id": a["Pipeline"]},
    )
    assert funnel["pipelineFunnel"] is None
    rows = (
        await other_tenant.data(
            """{ salesPerformance(from: "2020-01-01T00:00:00Z", to: "2029-01-01T00:00:00Z") { owner { id } } }"""
        )
    )["salesPerformance"]
    assert a["User"] not in {r["owner"]["id"] for r in rows}
    assert b["User"] in {r["owner"]["id"] for r in rows}
    assert await snapshot(tenant, a) == before
    entries = await tenant.data(
        "query ($id: ID!) { node(id: $id) { ... on Customer { points { points } } } }", {"id": a["Customer"]}
    )
    assert entries["node"]["points"]["points"] == "5.00"


NESTED = """{
  customers(first: 3) { edges { node { id owner { id team { id } }
    contacts(first: 3) { edges { node { id customer { id } interactions(first: 3) { edges { node { id } } }
      opportunities(first: 3) { edges { node { id } } } } } }
    orders(first: 3) { edges { node { id customer { id } items { id product { id } order { id } }
      shipmentEvents { id order { id } } cases(first: 3) { edges { node { id } } }
      interactions(first: 3) { edges { node { id } } } feedback(first: 3) { edges { node { id } } } } } }
    interactions(first: 3) { edges { node { id customer { id } contact { id } lead { id } opportunity { id }
      order { id } serviceCase { id } owner { id } } } }
    opportunities(first: 3) { edges { node { id pipeline { id stages { id } } stage { id pipeline { id } }
      owner { id } contact { id } stageHistory { id fromStage { id } toStage { id } changedBy { id }
      opportunity { id } } interactions(first: 3) { edges { node { id } } } } } }
    feedback(first: 3) { edges { node { id order { id } product { id } customer { id } } } }
    cases(first: 3) { edges { node { id order { id } orderItem { id } assignee { id } customer { id } } } }
    ledgerEntries(first: 3) { edges { node { id customer { id } createdBy { id } } } }
    campaignMemberships(first: 3) { edges { node { id campaign { id members(first: 3) {
      edges { node { id lead { id } customer { id } } } } } } } }
    figures { tier { id } } } } }
  leads(first: 3) { edges { node { id owner { id } customer { id } contact { id } opportunity { id }
    interactions(first: 3) { edges { node { id } } } } } }
  pipelines(first: 3) { edges { node { id stages { id pipeline { id } }
    opportunities(first: 3) { edges { node { id } } } } } }
  users(first: 3) { edges { node { id team { id members(first: 3) { edges { node { id } } } }
    customers(first: 3) { edges { node { id } } } opportunities(first: 3) { edges { node { id } } } } } }
  membershipTiers(first: 3) { edges { node { id } } }
}"""


async def test_nested_fields_never_cross(
    worlds: tuple[dict[str, str], dict[str, str]], tenant: Tenant, other_tenant: Tenant
) -> None:
    a, b = worlds
    seen_a, seen_b = all_ids(await tenant.data(NESTED)), all_ids(await other_tenant.data(NESTED))
    # Each tenant reaches every one of its own objects through the graph, and none of the other's.
    assert set(a.values()) <= seen_a, set(a.values()) - seen_a
    assert set(b.values()) <= seen_b, set(b.values()) - seen_b
    assert seen_a.isdisjoint(seen_b)
    assert json.dumps(sorted(seen_b)).count(a["Customer"]) == 0
