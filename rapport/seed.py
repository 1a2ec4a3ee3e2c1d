"""The demo tenant: a small, believable CRM to explore in GraphiQL. Deterministic and idempotent."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from rapport.customfields import service
from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.registry import field_type
from rapport.ids import new_id
from rapport.models import Contact, Customer, User, table_of
from rapport.schema.cache import base_type_names
from rapport.tenants import (
    TenantRef,
    create_tenant,
    enter_tenant,
    find_tenant,
    issue_token,
    revoke_tokens_named,
)

DEMO_SLUG = "demo"
DEMO_TOKEN_NAME = "demo admin token (rapport serve)"

SURNAMES = [
    "Li",
    "Wang",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Huang",
    "Zhao",
    "Wu",
    "Zhou",
    "Müller",
    "Schmidt",
    "Garcia",
    "Martin",
    "Rossi",
    "Smith",
    "Johnson",
    "Tanaka",
    "Kim",
    "Nguyen",
]
GIVEN = [
    "Lei",
    "Mei",
    "Hua",
    "Jing",
    "Wei",
    "Fang",
    "Anna",
    "Lukas",
    "Sofia",
    "Mateo",
    "Emma",
    "Noah",
    "Yuki",
    "Min-jun",
    "Linh",
    "Olivia",
    "Liam",
    "Chloé",
    "Marco",
    "Aiko",
]
COMPANIES = [
    "Harbor Logistics",
    "Blue Peak Outdoor",
    "Jade Garden Restaurants",
    "Nordlicht Optik",
    "Sunrise Auto Dealers",
    "Lotus Home Furnishing",
    "Atlas Fitness",
    "Golden Bridge Trading",
    "Maple Leaf Dental",
    "Riverside Pharmacy",
    "Pixel Forge Studio",
    "Silk Road Tea House",
]
CITIES = [
    ("CN", "Shanghai", "200000"),
    ("CN", "Beijing", "100000"),
    ("CN", "Shenzhen", "518000"),
    ("DE", "Berlin", "10115"),
    ("US", "Seattle", "98101"),
    ("JP", "Osaka", "530-0001"),
    ("FR", "Lyon", "69001"),
    ("SG", "Singapore", "018956"),
]
STREETS = ["Nanjing Rd", "Main St", "Hauptstraße", "Rue Centrale"]
CHANNELS = ["website", "referral", "event", "social", "ad", "cold call"]
TITLES = ["CEO", "Purchasing Manager", "Operations Lead", "CFO", "Store Manager", "IT Director"]
ROLES = ["DECISION_MAKER", "INFLUENCER", "CHAMPION", "GATEKEEPER", "USER"]

CUSTOMER_FIELDS: list[dict[str, Any]] = [
    {
        "key": "loyaltyTier",
        "type": "SELECT",
        "label": "Loyalty tier",
        "settings": {"options": [{"label": "Gold"}, {"label": "Silver"}, {"label": "Bronze"}]},
    },
    {
        "key": "lifetimeScore",
        "type": "INTEGER",
        "label": "Lifetime score",
        "settings": {"min": 0, "max": 1000},
    },
    {"key": "newsletter", "type": "BOOLEAN", "label": "Newsletter opt-in", "settings": {"default": False}},
    {
        "key": "drivingLicense",
        "type": "TEXT",
        "label": "Driving licence number",
        "settings": {"maxLength": 20, "regex": "[A-Z0-9-]{5,20}"},
    },
    {
        "key": "shoppingInterests",
        "type": "MULTI_SELECT",
        "label": "Shopping interests",
        "settings": {
            "options": [
                {"label": "Outdoor"},
                {"label": "Electronics"},
                {"label": "Home"},
                {"label": "Fashion"},
                {"label": "Food"},
            ]
        },
    },
]
CONTACT_FIELDS: list[dict[str, Any]] = [
    {"key": "linkedinUrl", "type": "URL", "label": "LinkedIn profile"},
    {
        "key": "preferredChannel",
        "type": "SELECT",
        "label": "Preferred channel",
        "settings": {"options": [{"label": "Phone"}, {"label": "Email"}, {"label": "WeChat", "value": "WECHAT"}]},
    },
]


async def seed_demo(conn: AsyncConnection) -> bool:
    """Create the demo tenant and its data; False (and no change) when it already exists."""
    if await find_tenant(conn, DEMO_SLUG) is not None:
        return False
    created = await create_tenant(
        conn, "Demo Company", slug=DEMO_SLUG, owner_email="owner@demo.example", owner_name="Olivia Owner"
    )
    tenant = created.tenant
    rng = random.Random(20261123)
    users = await _users(conn, tenant, created.owner_id)
    fields = {}
    for entity, specs in (("CUSTOMER", CUSTOMER_FIELDS), ("CONTACT", CONTACT_FIELDS)):
        for spec in specs:
            change = service.DefinitionChange(label=spec["label"], settings=spec.get("settings", {}))
            fields[spec["key"]] = await service.create_definition(
                conn,
                tenant.id,
                entity=entity,
                key=spec["key"],
                type_name=spec["type"],
                change=change,
                schema_type_names=base_type_names(),
            )
    await _customers(conn, tenant, rng, users, fields)
    return True


async def _users(conn: AsyncConnection, tenant: TenantRef, owner_id: Any) -> list[Any]:
    reps = [
        ("Sam Sales", "sam@demo.example", "MEMBER"),
        ("Ada Admin", "ada@demo.example", "ADMIN"),
        ("Rui Rep", "rui@demo.example", "MEMBER"),
    ]
    ids = [owner_id]
    for name, email, role in reps:
        user_id = new_id()
        await conn.execute(
            insert(table_of(User)).values(tenant_id=tenant.id, id=user_id, name=name, email=email, role=role)
        )
        ids.append(user_id)
    return ids


def _stored(definition: FieldDefinition, value: Any) -> Any:
    return field_type(definition.type).to_storage(value, definition)


async def _customers(
    conn: AsyncConnection,
    tenant: TenantRef,
    rng: random.Random,
    users: list[Any],
    fields: dict[str, FieldDefinition],
) -> None:
    customers: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    for i in range(50):
        company = i % 4 == 0
        country, city, postal = rng.choice(CITIES)
        name = COMPANIES[(i // 4) % len(COMPANIES)] if company else f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}"
        slug = name.lower().replace(" ", ".").replace("é", "e").replace("ü", "u")
        custom: dict[str, Any] = {"newsletter": rng.random() < 0.4}
        if rng.random() < 0.7:
            custom["loyaltyTier"] = _stored(fields["loyaltyTier"], rng.choice(["GOLD", "SILVER", "BRONZE"]))
        if rng.random() < 0.8:
            custom["lifetimeScore"] = rng.randint(0, 1000)
        if not company and rng.random() < 0.3:
            custom["drivingLicense"] = f"DL-{rng.randint(100000, 999999)}"
        if rng.random() < 0.6:
            picks = rng.sample(["OUTDOOR", "ELECTRONICS", "HOME", "FASHION", "FOOD"], rng.randint(1, 3))
            custom["shoppingInterests"] = _stored(fields["shoppingInterests"], picks)
        customer_id = new_id()
        customers.append(
            {
                "tenant_id": tenant.id,
                "id": customer_id,
                "kind": "COMPANY" if company else "PERSON",
                "name": name,
                "gender": None if company else rng.choice(["FEMALE", "MALE", "UNDISCLOSED"]),
                "birthday": None
                if company
                else dt.date(rng.randint(1960, 2003), rng.randint(1, 12), rng.randint(1, 28)),
                "email": f"{slug}{i}@example.com" if not company else f"info@{slug.replace('.', '')}.example",
                "phone": f"+86138{rng.randint(10000000, 99999999)}" if country == "CN" else None,
                "address_country": country,
                "address_city": city,
                "address_postal_code": postal,
                "address_street": f"{rng.randint(1, 300)} {rng.choice(STREETS)}",
                "source_channel": rng.choice(CHANNELS),
                "tags": rng.sample(["vip", "wholesale", "b2b", "newsletter", "returning"], rng.randint(0, 2)),
                "owner_id": rng.choice(users),
                "custom": custom,
            }
        )
        if company:
            for _ in range(rng.randint(2, 4)):
                person = f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}"
                contact_custom: dict[str, Any] = {}
                if rng.random() < 0.5:
                    contact_custom["preferredChannel"] = _stored(
                        fields["preferredChannel"], rng.choice(["PHONE", "EMAIL", "WECHAT"])
                    )
                contacts.append(
                    {
                        "tenant_id": tenant.id,
                        "id": new_id(),
                        "customer_id": customer_id,
                        "name": person,
                        "title": rng.choice(TITLES),
                        "decision_role": rng.choice(ROLES),
                        "email": f"{person.lower().replace(' ', '.').replace('é', 'e').replace('ü', 'u')}@example.com",
                        "phone": None,
                        "custom": contact_custom,
                    }
                )
    await conn.execute(insert(table_of(Customer)), customers)
    await conn.execute(insert(table_of(Contact)), contacts)


async def demo_token(conn: AsyncConnection) -> str:
    """A fresh ADMIN token for the demo tenant; the one the previous `rapport serve` printed is revoked."""
    tenant = await find_tenant(conn, DEMO_SLUG)
    assert tenant is not None
    await revoke_tokens_named(conn, tenant, DEMO_TOKEN_NAME)
    await enter_tenant(conn, tenant.id)
    return await issue_token(conn, tenant, "ADMIN", name=DEMO_TOKEN_NAME)
