"""The scenarios: what each one asks the API, the variants it cycles through, and the floor's parameters.

Every read scenario has a floor statement in ``bench.floor`` that fetches the same data; ``bench.compare``
checks they agree before anything is timed. Variants are drawn from a seeded RNG, so two runs send the
same requests.
"""

from __future__ import annotations

import json
import random
import time
import urllib.request
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.fields import schema_build_definitions
from rapport.customfields.definition import FieldDefinition
from rapport.ids import from_global_id, to_global_id
from rapport.models import Customer, table_of
from rapport.resolvers.pagination import SortKey, encode_cursor, ordering_tag
from rapport.schema.tenant import build_tenant_schema

SUMMARY_QUERY = """
query Summary($id: ID!) {
  customerSummary(id: $id) {
    id name tier lifecycleStage currency lifetimeValue orderCount lastOrderAt lastInteractionAt
    openOpportunities openCases points balance
  }
}"""

LIST50_QUERY = """
query List50($after: String) {
  customers(first: 50, after: $after) {
    nodes { id name email phone createdAt custom { segment score signupDate vip region } }
  }
}"""

NESTED_QUERY = """
query Nested($after: String) {
  customers(first: 20, after: $after) {
    nodes {
      id name email
      contacts(first: 5) { nodes { id name title email } }
      orders(first: 5) {
        nodes {
          id orderNumber status orderedAt total
          items { id position quantity unitPrice lineTotal product { id sku name unitPrice } }
        }
      }
      interactions(first: 10) { nodes { id channel direction occurredAt subject } }
    }
  }
}"""

CUSTOM_FILTER_QUERY = """
query CustomFilter($segment: CustomerSegment!, $minScore: Int!, $after: String) {
  customers(
    first: 20
    after: $after
    filter: { custom: { segment: { eq: $segment }, score: { gte: $minScore } } }
    orderBy: [{ custom: SIGNUP_DATE, direction: DESC }]
  ) {
    pageInfo { endCursor }
    nodes { id name custom { segment score signupDate } }
  }
}"""

CREATE_QUERY = """
mutation Create($input: CustomerCreateInput!) {
  customerCreate(input: $input) {
    customer { id name custom { segment score signupDate vip region } }
    userErrors { field message code }
  }
}"""


@dataclass
class BenchData:
    """What the scenarios need to know about the bench tenant (the largest of the preset)."""

    base_url: str
    token: str
    tenant_id: uuid.UUID
    currency: str
    customer_ids: list[uuid.UUID]  # in id order, as the API pages them
    definitions: Mapping[str, FieldDefinition]

    def graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """One request through the real server (setup and checks only; the drivers do the timed ones)."""
        request = urllib.request.Request(
            self.base_url + "/graphql",
            data=json.dumps({"query": query, "variables": variables}).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            body: dict[str, Any] = json.loads(answer.read())
        return body

    def option_values(self, key: str) -> dict[str, str]:
        """Stored option id -> GraphQL enum value, for a select field."""
        return {o.id: o.value for o in self.definitions[key].options}


@dataclass(frozen=True)
class Variant:
    variables: dict[str, Any]
    floor: dict[str, Any] | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    target: str
    query: str = ""
    expect: str | None = None  # a fragment every good answer contains
    variants: Callable[[BenchData, random.Random], list[Variant]] = field(default=lambda data, rng: [])
    # Requests/s at which latency is measured again, in an open loop: a latency target that goes with a
    # throughput target is about that throughput, not about how long requests queue at saturation.
    paced: float | None = None

    @property
    def reads(self) -> bool:
        return self.name in ("summary", "list50", "nested", "customFilter")


_ID_ORDER = [SortKey("id", table_of(Customer).c.id, False, False)]


def after_cursor(customer_id: uuid.UUID) -> str:
    """The cursor the API gives the customer in the default (id) order."""
    return encode_cursor(ordering_tag(_ID_ORDER), [customer_id])


def _summary(data: BenchData, rng: random.Random) -> list[Variant]:
    picks = [rng.choice(data.customer_ids) for _ in range(500)]
    return [
        Variant(
            {"id": to_global_id("Customer", c)},
            {"tenant": str(data.tenant_id), "id": str(c), "currency": data.currency},
        )
        for c in picks
    ]


def _pages(size: int) -> Callable[[BenchData, random.Random], list[Variant]]:
    def variants(data: BenchData, rng: random.Random) -> list[Variant]:
        ids = data.customer_ids
        made = []
        for _ in range(200):
            after = ids[rng.randrange(max(1, len(ids) - size))]
            floor = {"tenant": str(data.tenant_id), "after": str(after)}
            if size == 50:
                floor |= {
                    "segment": json.dumps(data.option_values("segment")),
                    "region": json.dumps(data.option_values("region")),
                }
            made.append(Variant({"after": after_cursor(after)}, floor))
        return made

    return variants


def _custom_filter(data: BenchData, rng: random.Random) -> list[Variant]:
    """Page 2 of each (segment, minimum score) pair: page 1 is asked for once, here, for its end cursor."""
    segment = data.definitions["segment"]
    made = []
    for option in segment.options:
        for min_score in (200, 500, 800):
            variables: dict[str, Any] = {"segment": option.value, "minScore": min_score}
            page = data.graphql(CUSTOM_FILTER_QUERY, variables)["data"]["customers"]
            if len(page["nodes"]) < 20:
                continue  # no second page
            last = page["nodes"][-1]
            floor = {
                "tenant": str(data.tenant_id),
                "segment": json.dumps(data.option_values("segment")),
                "contains": json.dumps({"segment": option.id}),
                "min_score": min_score,
                "after_date": last["custom"]["signupDate"],
                "after_id": str(_uuid_of(last["id"])),
            }
            made.append(Variant({**variables, "after": page["pageInfo"]["endCursor"]}, floor))
    return made


def _create(data: BenchData, rng: random.Random) -> list[Variant]:
    segments = [o.value for o in data.definitions["segment"].options]
    regions = [o.value for o in data.definitions["region"].options]
    run = uuid.uuid4().hex[:8]  # new customers each run; names need not be unique, but it helps reading
    return [
        Variant(
            {
                "input": {
                    "kind": "PERSON",
                    "name": f"Bench Person {run}-{n}",
                    "email": f"bench.{run}.{n}@example.org",
                    "custom": {
                        "segment": rng.choice(segments),
                        "score": rng.randrange(1001),
                        "signupDate": f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}",
                        "vip": rng.random() < 0.2,
                        "region": rng.choice(regions),
                    },
                }
            }
        )
        for n in range(1000)
    ]


def _uuid_of(global_id: str) -> uuid.UUID:
    decoded = from_global_id(global_id)
    assert decoded is not None
    return decoded[1]


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "summary",
            "customerSummary(id:) of a random customer",
            "p50 ≤ 5 ms, ≥ 1,000/s",
            SUMMARY_QUERY,
            '"customerSummary":{',
            _summary,
            paced=1000.0,
        ),
        Scenario(
            "list50",
            "50 customers with 5 custom fields, from a random position",
            "≥ 500/s",
            LIST50_QUERY,
            None,
            _pages(50),
        ),
        Scenario(
            "nested",
            "20 customers → contacts(5), orders(5) → items → product, interactions(10)",
            "≥ 150/s, p99 ≤ 150 ms, ≤ 3x floor",
            NESTED_QUERY,
            None,
            _pages(20),
        ),
        Scenario(
            "customFilter",
            "2 custom-field filters + custom sort, keyset page 2 (largest tenant)",
            "p50 ≤ 15 ms (medium)",
            CUSTOM_FILTER_QUERY,
            None,
            _custom_filter,
        ),
        Scenario(
            "create",
            "customerCreate with 5 custom fields",
            "≥ 300/s",
            CREATE_QUERY,
            '"userErrors":[]',
            _create,
        ),
        Scenario(
            "schemaBuild",
            "cold build of a 200-custom-field tenant schema (in-process)",
            "—",
        ),
    )
}


def count_objects(value: Any) -> int:
    """Objects (JSON objects with an id) in an answer: what a nested query returns."""
    if isinstance(value, dict):
        return ("id" in value) + sum(count_objects(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_objects(v) for v in value)
    return 0


def schema_build(
    duration: float, warmup: float, definitions: Sequence[FieldDefinition] | None = None
) -> dict[str, Any]:
    """Build a 200-field tenant schema over and over for ``duration`` seconds, in this process."""
    chosen = list(definitions or schema_build_definitions(200))
    build_tenant_schema(chosen, "bench-warmup")  # the shared base schema is built once per process
    latencies: list[float] = []
    end_warmup = time.perf_counter() + warmup
    while time.perf_counter() < end_warmup:
        build_tenant_schema(chosen, "bench")
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    while time.perf_counter() - wall_start < duration:
        started = time.perf_counter()
        build_tenant_schema(chosen, f"bench-{len(latencies)}")
        latencies.append(time.perf_counter() - started)
    wall = time.perf_counter() - wall_start
    cpu = time.process_time() - cpu_start
    latencies.sort()
    count = len(latencies)
    return {
        "requests": count,
        "errors": 0,
        "seconds": wall,
        "rps": count / wall,
        "p50_ms": latencies[count // 2] * 1000,
        "p99_ms": latencies[min(count - 1, round(count * 0.99) - 1)] * 1000,
        "app_cpu_ms": cpu * 1000 / count,
        "fields": len(chosen),
    }
