"""The custom fields the generated tenants carry, and the 200-field definition set ``schemaBuild`` builds.

Values are drawn from small pools of canonical stored values (each pool entry went through the field type's
``to_storage``), so every generated value is exactly what the API would have stored.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.service import build_config
from rapport.customfields.types.registry import field_type
from rapport.schema.entities import CUSTOMIZABLE

RawValue = Callable[[random.Random, int], Any]  # (rng, n) -> the n-th candidate value as a client sends it
POOL_SIZE = 400


def _options(*labels: str) -> dict[str, Any]:
    return {"options": [{"label": label} for label in labels]}


def _day(rng: random.Random, n: int) -> str:
    return (dt.date(2018, 1, 1) + dt.timedelta(days=rng.randrange(3000))).isoformat()


def _instant(rng: random.Random, n: int) -> str:
    moment = dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=rng.randrange(60_000_000))
    return moment.isoformat()


@dataclass(frozen=True)
class FieldSpec:
    """A customer custom field: its definition and how its values are drawn."""

    key: str
    type: str
    label: str
    settings: dict[str, Any]
    fill: float  # share of customers with a value
    value: RawValue
    # Declared filterable / sortable (an expression index serves them); see ``bench.generate.ensure_indexes``.
    filterable: bool = False
    sortable: bool = False
    entity: str = "CUSTOMER"
    pool: int = POOL_SIZE


# The first five are the ones ``list50`` reads; customFilter filters on segment (equality: served by the GIN
# index on ``custom``) and score (a range) and sorts by signupDate, which is set on every customer.
CUSTOMER_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "segment",
        "SELECT",
        "Segment",
        _options("Enterprise", "Mid-market", "Small business", "Consumer"),
        0.95,
        lambda rng, n: rng.choice(["ENTERPRISE", "MID_MARKET", "SMALL_BUSINESS", "CONSUMER"]),
        filterable=True,
    ),
    FieldSpec(
        "score",
        "INTEGER",
        "Score",
        {"min": 0, "max": 1000},
        0.85,
        lambda rng, n: n,
        filterable=True,
        sortable=True,
        pool=1001,
    ),
    FieldSpec("signupDate", "DATE", "Signed up on", {}, 1.0, _day, filterable=True, sortable=True, pool=3000),
    FieldSpec("vip", "BOOLEAN", "VIP", {}, 0.7, lambda rng, n: n % 5 == 0, pool=10),
    FieldSpec(
        "region",
        "SELECT",
        "Region",
        _options("North", "South", "East", "West", "Central"),
        0.8,
        lambda rng, n: rng.choice(["NORTH", "SOUTH", "EAST", "WEST", "CENTRAL"]),
    ),
    FieldSpec(
        "annualRevenue",
        "DECIMAL",
        "Annual revenue",
        {"min": "0", "scale": 2},
        0.6,
        lambda rng, n: f"{rng.randrange(1_000, 50_000_000)}.{rng.randrange(100):02d}",
        filterable=True,
        sortable=True,
    ),
    FieldSpec(
        "industry",
        "SELECT",
        "Industry",
        _options("Retail", "Manufacturing", "Software", "Health", "Finance", "Education", "Logistics", "Food"),
        0.7,
        lambda rng, n: rng.choice(
            ["RETAIL", "MANUFACTURING", "SOFTWARE", "HEALTH", "FINANCE", "EDUCATION", "LOGISTICS", "FOOD"]
        ),
    ),
    FieldSpec(
        "accountManager",
        "TEXT",
        "Account manager",
        {"maxLength": 60},
        0.5,
        lambda rng, n: (
            f"{rng.choice(['Ana', 'Bo', 'Chen', 'Dara', 'Eli', 'Fei'])} {rng.choice(['Li', 'Park', 'Ruiz'])}"
        ),
    ),
    FieldSpec("website", "URL", "Website", {}, 0.4, lambda rng, n: f"https://shop{n}.example.com/"),
    FieldSpec("billingEmail", "EMAIL", "Billing email", {}, 0.5, lambda rng, n: f"billing{n}@example.com"),
    FieldSpec(
        "supportPhone",
        "PHONE",
        "Support phone",
        {"defaultRegion": "CN"},
        0.3,
        lambda rng, n: f"+86 138 {rng.randrange(1000, 9999)} {rng.randrange(1000, 9999)}",
    ),
    FieldSpec(
        "topics",
        "MULTI_SELECT",
        "Topics",
        _options("Pricing", "Shipping", "Returns", "Loyalty", "Wholesale", "Events"),
        0.6,
        lambda rng, n: rng.sample(["PRICING", "SHIPPING", "RETURNS", "LOYALTY", "WHOLESALE", "EVENTS"], 1 + n % 3),
    ),
    FieldSpec("lastAudit", "DATETIME", "Last audit", {}, 0.3, _instant),
    FieldSpec("employees", "INTEGER", "Employees", {"min": 1}, 0.5, lambda rng, n: rng.randrange(1, 20_000)),
    FieldSpec(
        "creditLimit",
        "DECIMAL",
        "Credit limit",
        {"min": "0", "scale": 2},
        0.4,
        lambda rng, n: f"{rng.randrange(0, 500_000)}.00",
    ),
    FieldSpec("newsletterOptIn", "BOOLEAN", "Newsletter", {"default": False}, 0.9, lambda rng, n: n % 3 == 0, pool=10),
    FieldSpec(
        "referralCode",
        "TEXT",
        "Referral code",
        {"regex": "[A-Z]{3}-[0-9]{4}"},
        0.2,
        lambda rng, n: f"{rng.choice(['ABC', 'XYZ', 'QRS', 'MNO'])}-{rng.randrange(1000, 9999)}",
    ),
    FieldSpec(
        "language",
        "SELECT",
        "Preferred language",
        _options("Chinese", "English", "German", "Japanese"),
        0.6,
        lambda rng, n: rng.choice(["CHINESE", "ENGLISH", "GERMAN", "JAPANESE"]),
    ),
    FieldSpec("contractEnd", "DATE", "Contract ends", {}, 0.3, _day),
    FieldSpec("npsScore", "INTEGER", "NPS", {"min": 0, "max": 10}, 0.4, lambda rng, n: n % 11, pool=11),
)

SUMMARY_FIELDS = CUSTOMER_FIELDS[:5]  # what list50 reads, and what the smaller medium tenants carry


@dataclass
class ValuePools:
    """Canonical stored values per field key, drawn once per definition set."""

    definitions: dict[str, FieldDefinition]
    specs: dict[str, FieldSpec]
    pools: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def build(cls, specs: Sequence[FieldSpec], definitions: Sequence[FieldDefinition], seed: str) -> ValuePools:
        by_key = {d.key: d for d in definitions}
        pools = cls(definitions=by_key, specs={s.key: s for s in specs if s.key in by_key})
        rng = random.Random(f"{seed}:pools")
        for spec in pools.specs.values():
            definition = by_key[spec.key]
            ftype = field_type(definition.type)
            values = [ftype.to_storage(spec.value(rng, n), definition) for n in range(spec.pool)]
            pools.pools[spec.key] = [v for v in values if v is not None]
        return pools

    def draw(self, rng: random.Random) -> dict[str, Any]:
        """One customer's custom values."""
        custom: dict[str, Any] = {}
        for key, spec in self.specs.items():
            if rng.random() < spec.fill:
                custom[key] = rng.choice(self.pools[key])
            elif (default := self.definitions[key].default) is not None:
                custom[key] = default  # the API stores the default when a value is omitted
        return custom


def in_memory_definitions(specs: Sequence[FieldSpec]) -> list[FieldDefinition]:
    """Definitions for ``specs`` as the service would store them, without a database (tests, schemaBuild)."""
    made = []
    for n, spec in enumerate(specs):
        draft = FieldDefinition(
            id=uuid.UUID(int=n + 1), entity=spec.entity, key=spec.key, type=spec.type, label=spec.label, position=n
        )
        made.append(replace(draft, config=build_config(draft, dict(spec.settings))))
    return made


# The schemaBuild scenario: 200 definitions, of every type, spread over every customizable entity.
SCHEMA_BUILD_TYPES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("TEXT", {"maxLength": 200}),
    ("INTEGER", {"min": 0}),
    ("DECIMAL", {"scale": 2}),
    ("BOOLEAN", {}),
    ("DATE", {}),
    ("DATETIME", {}),
    ("SELECT", _options("Alpha", "Beta", "Gamma", "Delta")),
    ("MULTI_SELECT", _options("Red", "Green", "Blue")),
    ("EMAIL", {}),
    ("URL", {}),
    ("PHONE", {}),
)


def schema_build_definitions(count: int = 200) -> list[FieldDefinition]:
    """``count`` valid definitions (configs canonicalised as the service would), spread over the entities."""
    entities = sorted(CUSTOMIZABLE)
    made = []
    for n in range(count):
        entity = entities[n % len(entities)]
        type_name, settings = SCHEMA_BUILD_TYPES[n % len(SCHEMA_BUILD_TYPES)]
        draft = FieldDefinition(
            id=uuid.UUID(int=n + 1),
            entity=entity,
            key=f"bench{type_name.title().replace('_', '')}{n:03d}",
            type=type_name,
            label=f"Bench field {n}",
            position=n,
        )
        made.append(replace(draft, config=build_config(draft, dict(settings))))
    return made
