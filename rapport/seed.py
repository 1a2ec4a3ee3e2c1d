"""The demo tenant: a small, believable CRM to explore in GraphiQL. Deterministic (seeded) and idempotent.

It covers every entity: users in two teams, products, 50 customers with contacts, several hundred orders
with lines and tracking, interactions across channels, leads (some converted), opportunities moving through
the default pipeline, service cases, feedback, two campaigns, membership tiers and a points / balance ledger.
Rows are written directly (in the tenant's context, under row-level security); derived values (order
totals, running balances) are computed exactly as the API computes them.
"""

from __future__ import annotations

import datetime as dt
import decimal
import random
import uuid
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from rapport.customfields import service
from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.registry import field_type
from rapport.ids import new_id
from rapport.models import (
    Campaign,
    CampaignMember,
    Contact,
    Customer,
    Feedback,
    Interaction,
    Lead,
    LedgerEntry,
    MemberAccount,
    MembershipTier,
    Opportunity,
    OpportunityStageChange,
    Order,
    OrderItem,
    PipelineStage,
    Product,
    ServiceCase,
    ShipmentEvent,
    Team,
    Tenant,
    User,
    table_of,
)
from rapport.schema.cache import base_type_names
from rapport.tenant_settings import TenantSettings
from rapport.tenants import TenantRef, create_tenant, enter_tenant, find_tenant, issue_token, revoke_tokens_named

DEMO_SLUG = "demo"
DEMO_TOKEN_NAME = "demo admin token (rapport serve)"
CENT = decimal.Decimal("0.01")
NOW = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)  # fixed, so the demo is the same everywhere

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
    ("CN", "Hangzhou", "310000"),
    ("DE", "Berlin", "10115"),
    ("US", "Seattle", "98101"),
    ("JP", "Osaka", "530-0001"),
    ("SG", "Singapore", "018956"),
]
STREETS = ["Nanjing Rd", "Century Ave", "Main St", "Hauptstraße", "Rue Centrale"]
CHANNELS = ["website", "referral", "event", "social", "ad", "cold call"]
TITLES = ["CEO", "Purchasing Manager", "Operations Lead", "CFO", "Store Manager", "IT Director"]
DECISION_ROLES = ["DECISION_MAKER", "INFLUENCER", "CHAMPION", "GATEKEEPER", "USER"]
PRODUCTS = [
    ("TEA-LJ-250", "Longjing green tea 250 g", "Tea", "168.00"),
    ("TEA-PU-357", "Pu'er cake 357 g", "Tea", "298.00"),
    ("TEA-SET-01", "Porcelain tea set", "Tea", "520.00"),
    ("OUT-TENT-2", "Two-person tent", "Outdoor", "899.00"),
    ("OUT-BAG-40", "Hiking backpack 40 L", "Outdoor", "459.00"),
    ("OUT-LAMP", "Head lamp", "Outdoor", "129.00"),
    ("EL-EARBUDS", "Wireless earbuds", "Electronics", "699.00"),
    ("EL-SPEAKER", "Smart speaker", "Electronics", "399.00"),
    ("EL-CHARGER", "65 W charger", "Electronics", "149.00"),
    ("HOME-LAMP", "Desk lamp", "Home", "239.00"),
    ("HOME-RUG", "Wool rug 160x230", "Home", "1280.00"),
    ("HOME-MUGS", "Mug set of 4", "Home", "119.00"),
    ("FIT-MAT", "Yoga mat", "Fitness", "189.00"),
    ("FIT-BANDS", "Resistance bands", "Fitness", "89.00"),
    ("FIT-KB-12", "Kettlebell 12 kg", "Fitness", "259.00"),
    ("GIFT-CARD", "Gift card", "Gifts", "500.00"),
]
TIERS = [
    ("Bronze", 1, "LIFETIME_SPEND", "0.00", "Birthday coupon"),
    ("Silver", 2, "LIFETIME_SPEND", "3000.00", "Free shipping"),
    ("Gold", 3, "LIFETIME_SPEND", "10000.00", "Free shipping, 5% off, priority service"),
    ("Platinum", 4, "POINTS", "20000.00", "Personal shopper and event invitations"),
]
FIELDS: list[tuple[str, str, str, str, dict[str, Any]]] = [
    (
        "CUSTOMER",
        "loyaltyTier",
        "SELECT",
        "Loyalty tier",
        {"options": [{"label": "Gold"}, {"label": "Silver"}, {"label": "Bronze"}]},
    ),
    ("CUSTOMER", "lifetimeScore", "INTEGER", "Lifetime score", {"min": 0, "max": 1000}),
    ("CUSTOMER", "newsletter", "BOOLEAN", "Newsletter opt-in", {"default": False}),
    ("CUSTOMER", "drivingLicense", "TEXT", "Driving licence number", {"maxLength": 20, "regex": "[A-Z0-9-]{5,20}"}),
    (
        "CUSTOMER",
        "shoppingInterests",
        "MULTI_SELECT",
        "Shopping interests",
        {
            "options": [
                {"label": "Outdoor"},
                {"label": "Electronics"},
                {"label": "Home"},
                {"label": "Fashion"},
                {"label": "Food"},
            ]
        },
    ),
    ("CONTACT", "linkedinUrl", "URL", "LinkedIn profile", {}),
    (
        "CONTACT",
        "preferredChannel",
        "SELECT",
        "Preferred channel",
        {"options": [{"label": "Phone"}, {"label": "Email"}, {"label": "WeChat", "value": "WECHAT"}]},
    ),
    ("ORDER", "giftWrap", "BOOLEAN", "Gift wrap", {"default": False}),
    ("LEAD", "budget", "DECIMAL", "Budget", {"min": "0", "scale": 2}),
    ("PRODUCT", "warrantyMonths", "INTEGER", "Warranty (months)", {"min": 0, "max": 120}),
    ("OPPORTUNITY", "decisionDate", "DATE", "Decision date", {}),
]


def _money(value: str | int | decimal.Decimal) -> decimal.Decimal:
    return decimal.Decimal(value).quantize(CENT)


class _Demo:
    """Builds the rows in memory, then writes them table by table."""

    def __init__(self, tenant: TenantRef, owner_id: uuid.UUID) -> None:
        self.tenant = tenant
        self.rng = random.Random(20261123)
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.owner_id = owner_id
        self.fields: dict[str, FieldDefinition] = {}

    def add(self, table: str, **row: Any) -> uuid.UUID:
        row.setdefault("id", new_id())
        self.rows.setdefault(table, []).append({"tenant_id": self.tenant.id, **row})
        return row["id"]  # type: ignore[no-any-return]

    def at(self, days_ago: float) -> dt.datetime:
        return NOW - dt.timedelta(days=days_ago, seconds=self.rng.randint(0, 36000))

    def stored(self, key: str, value: Any) -> Any:
        definition = self.fields[key]
        return field_type(definition.type).to_storage(value, definition)

    def person(self) -> str:
        return f"{self.rng.choice(GIVEN)} {self.rng.choice(SURNAMES)}"

    def build(self, stages: list[Any]) -> None:
        rng = self.rng
        teams = [self.add("teams", name="East China"), self.add("teams", name="International")]
        self.reps = [self.owner_id]
        for name, email, role, team in (
            ("Sam Sales", "sam@demo.example", "MEMBER", 0),
            ("Ada Admin", "ada@demo.example", "ADMIN", 1),
            ("Rui Rep", "rui@demo.example", "MEMBER", 0),
            ("Mei Manager", "mei@demo.example", "MEMBER", 1),
        ):
            self.reps.append(self.add("users", name=name, email=email, role=role, team_id=teams[team]))
        self.products = [
            (
                self.add(
                    "products",
                    sku=sku,
                    name=name,
                    category=category,
                    unit_price=_money(price),
                    currency="CNY",
                    custom={"warrantyMonths": rng.choice([0, 12, 24])},
                ),
                _money(price),
            )
            for sku, name, category, price in PRODUCTS
        ]
        for name, rank, basis, threshold, benefits in TIERS:
            self.add(
                "membership_tiers", name=name, rank=rank, basis=basis, threshold=_money(threshold), benefits=benefits
            )
        customers = [self.customer(i) for i in range(50)]
        for customer_id, contacts in customers:
            self.orders(customer_id)
            self.interactions(customer_id, contacts)
            self.feedback(customer_id)
        open_stages = [s for s in stages if s.kind == "OPEN"]
        closing = {s.kind: s for s in stages if s.kind != "OPEN"}
        for customer_id, contacts in rng.sample(customers, 30):
            self.opportunity(customer_id, contacts, open_stages, closing)
        for index in range(40):
            self.lead(index, customers)
        self.campaigns(customers)
        self.ledger()

    def customer(self, i: int) -> tuple[uuid.UUID, list[uuid.UUID]]:
        rng = self.rng
        company = i % 4 == 0
        country, city, postal = rng.choice(CITIES)
        name = COMPANIES[(i // 4) % len(COMPANIES)] if company else self.person()
        handle = "".join(c for c in name.lower().replace(" ", ".") if c.isascii())
        custom: dict[str, Any] = {"newsletter": rng.random() < 0.4}
        if rng.random() < 0.7:
            custom["loyaltyTier"] = self.stored("loyaltyTier", rng.choice(["GOLD", "SILVER", "BRONZE"]))
        if rng.random() < 0.8:
            custom["lifetimeScore"] = rng.randint(0, 1000)
        if not company and rng.random() < 0.3:
            custom["drivingLicense"] = f"DL-{rng.randint(100000, 999999)}"
        if rng.random() < 0.6:
            picks = rng.sample(["OUTDOOR", "ELECTRONICS", "HOME", "FASHION", "FOOD"], rng.randint(1, 3))
            custom["shoppingInterests"] = self.stored("shoppingInterests", picks)
        customer_id = self.add(
            "customers",
            kind="COMPANY" if company else "PERSON",
            name=name,
            gender=None if company else rng.choice(["FEMALE", "MALE", "UNDISCLOSED"]),
            birthday=None if company else dt.date(rng.randint(1960, 2003), rng.randint(1, 12), rng.randint(1, 28)),
            email=f"info@{handle.replace('.', '')}.example" if company else f"{handle}{i}@example.com",
            phone=f"+86138{rng.randint(10000000, 99999999)}" if country == "CN" else None,
            address_country=country,
            address_city=city,
            address_postal_code=postal,
            address_street=f"{rng.randint(1, 300)} {rng.choice(STREETS)}",
            source_channel=rng.choice(CHANNELS),
            tags=rng.sample(["vip", "wholesale", "b2b", "newsletter", "returning"], rng.randint(0, 2)),
            preferred_channel=rng.choice(["phone", "email", "wechat", None]),
            interests=rng.sample(["tea", "hiking", "gadgets", "interior", "fitness"], rng.randint(0, 2)),
            payment_method_preference=rng.choice(["alipay", "wechat_pay", "card", None]),
            owner_id=rng.choice(self.reps),
            custom=custom,
            created_at=self.at(rng.uniform(400, 800)),
        )
        contacts = []
        for _ in range(rng.randint(2, 4) if company else 0):
            person = self.person()
            contact_custom: dict[str, Any] = {}
            if rng.random() < 0.5:
                contact_custom["preferredChannel"] = self.stored(
                    "preferredChannel", rng.choice(["PHONE", "EMAIL", "WECHAT"])
                )
            contacts.append(
                self.add(
                    "contacts",
                    customer_id=customer_id,
                    name=person,
                    title=rng.choice(TITLES),
                    decision_role=rng.choice(DECISION_ROLES),
                    email="".join(c for c in person.lower().replace(" ", ".") if c.isascii()) + "@example.com",
                    custom=contact_custom,
                )
            )
        return customer_id, contacts

    def orders(self, customer_id: uuid.UUID) -> None:
        rng = self.rng
        for _ in range(rng.randint(0, 16)):
            ordered = self.at(rng.uniform(1, 720))
            status = rng.choices(
                ["COMPLETED", "DELIVERED", "SHIPPED", "PAID", "PENDING", "CANCELLED", "REFUNDED"],
                [50, 12, 6, 6, 8, 5, 3],
            )[0]
            lines, subtotal, discounts = [], decimal.Decimal("0.00"), decimal.Decimal("0.00")
            for position, (product_id, price) in enumerate(rng.sample(self.products, rng.randint(1, 4)), start=1):
                quantity = rng.randint(1, 3)
                gross = (price * quantity).quantize(CENT)
                discount = (gross * decimal.Decimal(rng.choice(["0", "0", "0.05", "0.10"]))).quantize(CENT)
                lines.append(
                    {
                        "position": position,
                        "product_id": product_id,
                        "quantity": quantity,
                        "unit_price": price,
                        "discount": discount,
                        "line_total": gross - discount,
                    }
                )
                subtotal += gross
                discounts += discount
            shipped = status in ("SHIPPED", "DELIVERED", "COMPLETED")
            order_id = self.add(
                "orders",
                order_number=f"SO-{ordered:%Y%m%d}-{len(self.rows.get('orders', [])) + 1:05d}",
                customer_id=customer_id,
                status=status,
                ordered_at=ordered,
                paid_at=ordered + dt.timedelta(minutes=5) if status not in ("PENDING", "CANCELLED") else None,
                payment_method=rng.choice(["alipay", "wechat_pay", "card", "transfer"]),
                currency="CNY",
                subtotal=subtotal,
                discount_total=discounts,
                total=subtotal - discounts,
                recipient_name=self.person(),
                recipient_country="CN",
                recipient_city=rng.choice(CITIES[:4])[1],
                carrier="SF Express" if shipped else None,
                tracking_number=f"SF{rng.randint(10**11, 10**12 - 1)}" if shipped else None,
                shipping_status={"SHIPPED": "IN_TRANSIT", "DELIVERED": "DELIVERED", "COMPLETED": "DELIVERED"}.get(
                    status
                ),
                custom={"giftWrap": rng.random() < 0.15},
                created_at=ordered,
            )
            for line in lines:
                self.add("order_items", order_id=order_id, **line)
            if shipped:
                for step, (event, hours) in enumerate((("PICKED_UP", 20), ("IN_TRANSIT", 30), ("DELIVERED", 70))):
                    if event == "DELIVERED" and status == "SHIPPED":
                        break
                    self.add(
                        "shipment_events",
                        order_id=order_id,
                        status=event,
                        occurred_at=ordered + dt.timedelta(hours=hours + step),
                        location="Shanghai hub",
                    )

    def interactions(self, customer_id: uuid.UUID, contacts: list[uuid.UUID]) -> None:
        rng = self.rng
        for _ in range(rng.randint(2, 20)):
            channel = rng.choice(["PHONE", "EMAIL", "CHAT", "MEETING", "VISIT", "SOCIAL", "SMS", "OTHER"])
            self.add(
                "interactions",
                customer_id=customer_id,
                contact_id=rng.choice(contacts) if contacts else None,
                channel=channel,
                direction=rng.choice(["INBOUND", "OUTBOUND"]),
                occurred_at=self.at(rng.uniform(0, 600)),
                duration_seconds=rng.randint(60, 3600) if channel in ("PHONE", "MEETING", "VISIT") else None,
                subject=rng.choice(
                    [
                        "Follow-up on order",
                        "Product question",
                        "Renewal",
                        "Complaint about delivery",
                        "New catalogue",
                        "Price negotiation",
                    ]
                ),
                outcome=rng.choice(["Resolved", "Needs follow-up", "Sent quote", "No answer", None]),
                next_follow_up_on=(NOW + dt.timedelta(days=rng.randint(1, 30))).date() if rng.random() < 0.2 else None,
                owner_id=rng.choice(self.reps),
            )

    def feedback(self, customer_id: uuid.UUID) -> None:
        rng = self.rng
        orders = [o for o in self.rows.get("orders", []) if o["customer_id"] == customer_id]
        for _ in range(rng.randint(0, 3)):
            kind = rng.choice(["SURVEY", "REVIEW", "REVIEW", "COMPLAINT", "SUGGESTION"])
            order = rng.choice(orders) if orders and kind != "SUGGESTION" else None
            self.add(
                "feedback",
                customer_id=customer_id,
                kind=kind,
                rating=rng.randint(1, 5) if kind in ("REVIEW", "COMPLAINT") else None,
                nps=rng.randint(0, 10) if kind == "SURVEY" else None,
                comment=rng.choice(
                    [
                        "Great tea, fast delivery.",
                        "The tent leaked in heavy rain.",
                        "Please add more sizes.",
                        "Friendly support team.",
                        "Late delivery again.",
                    ]
                ),
                channel=rng.choice(["survey", "app", "phone", "email"]),
                order_id=order["id"] if order else None,
                status=rng.choice(["OPEN", "ACKNOWLEDGED", "RESOLVED"]) if kind == "COMPLAINT" else None,
            )
            if kind == "COMPLAINT" and order is not None:
                self.add(
                    "service_cases",
                    customer_id=customer_id,
                    order_id=order["id"],
                    kind=rng.choice(["RETURN", "EXCHANGE", "REPAIR", "COMPLAINT"]),
                    status=rng.choice(["OPEN", "IN_PROGRESS", "RESOLVED", "CLOSED"]),
                    priority=rng.choice(["LOW", "NORMAL", "HIGH", "URGENT"]),
                    subject="Problem with order " + order["order_number"],
                    assignee_id=rng.choice(self.reps),
                    opened_at=self.at(rng.uniform(1, 200)),
                )

    def opportunity(
        self, customer_id: uuid.UUID, contacts: list[uuid.UUID], open_stages: list[Any], closing: dict[str, Any]
    ) -> None:
        rng = self.rng
        created = self.at(rng.uniform(10, 300))
        path = open_stages[: rng.randint(1, len(open_stages))]
        final = path[-1]
        if rng.random() < 0.4:
            final = closing["WON"] if rng.random() < 0.6 else closing["LOST"]
            path = [*path, final]
        opportunity_id = self.add(
            "opportunities",
            name=rng.choice(
                ["Annual supply", "Store fit-out", "Corporate gifts", "Team outfitting", "Tea for offices"]
            ),
            customer_id=customer_id,
            contact_id=rng.choice(contacts) if contacts else None,
            pipeline_id=final.pipeline_id,
            stage_id=final.id,
            amount=_money(rng.randrange(5000, 200000, 500)),
            currency="CNY",
            expected_close_date=(NOW + dt.timedelta(days=rng.randint(-30, 120))).date(),
            probability=final.probability,
            owner_id=rng.choice(self.reps),
            competitors=rng.sample(["Tmall shop", "Local dealer", "Amazon"], rng.randint(0, 2)),
            lost_reason="Price" if final.kind == "LOST" else None,
            closed_at=created + dt.timedelta(days=len(path) * 7) if final.kind != "OPEN" else None,
            custom={"decisionDate": (NOW + dt.timedelta(days=rng.randint(5, 90))).date().isoformat()},
            created_at=created,
        )
        previous = None
        for step, stage in enumerate(path):
            self.add(
                "opportunity_stage_changes",
                opportunity_id=opportunity_id,
                from_stage_id=previous,
                to_stage_id=stage.id,
                changed_at=created + dt.timedelta(days=step * 7),
                changed_by_id=rng.choice(self.reps),
            )
            previous = stage.id

    def lead(self, index: int, customers: list[tuple[uuid.UUID, list[uuid.UUID]]]) -> None:
        rng = self.rng
        status = rng.choices(["NEW", "CONTACTED", "QUALIFIED", "UNQUALIFIED", "CONVERTED"], [10, 10, 8, 4, 8])[0]
        converted = status == "CONVERTED"
        self.add(
            "leads",
            name=self.person(),
            company=rng.choice([None, *COMPANIES]),
            title=rng.choice(TITLES),
            email=f"lead{index}@example.org",
            source=rng.choice(["ad", "event", "referral", "website", "social"]),
            status=status,
            score=rng.randint(0, 100),
            owner_id=rng.choice(self.reps),
            customer_id=rng.choice(customers)[0] if converted else None,
            converted_at=self.at(rng.uniform(1, 200)) if converted else None,
            custom={"budget": str(rng.randrange(1000, 50000, 500))} if rng.random() < 0.5 else {},
            created_at=self.at(rng.uniform(1, 300)),
        )

    def campaigns(self, customers: list[tuple[uuid.UUID, list[uuid.UUID]]]) -> None:
        rng = self.rng
        for name, channel, status, start in (
            ("Mid-autumn tea gifts", "email", "COMPLETED", 80),
            ("Winter outdoor sale", "social", "ACTIVE", 10),
        ):
            campaign_id = self.add(
                "campaigns",
                name=name,
                channel=channel,
                budget=_money("20000"),
                currency="CNY",
                starts_on=(NOW - dt.timedelta(days=start)).date(),
                ends_on=(NOW - dt.timedelta(days=start - 30)).date(),
                status=status,
            )
            for customer_id, _ in rng.sample(customers, 20):
                member_status = rng.choice(["TARGETED", "SENT", "SENT", "RESPONDED", "CONVERTED"])
                self.add(
                    "campaign_members",
                    campaign_id=campaign_id,
                    customer_id=customer_id,
                    status=member_status,
                    responded_at=self.at(start - 5) if member_status in ("RESPONDED", "CONVERTED") else None,
                    attributed_revenue=_money(rng.randrange(200, 3000))
                    if member_status == "CONVERTED"
                    else decimal.Decimal("0.00"),
                )

    def ledger(self) -> None:
        """Points for paid orders (1 per 10 CNY), some redemptions, stored-balance top-ups and spending."""
        rng = self.rng
        accounts: dict[uuid.UUID, dict[str, decimal.Decimal]] = {}
        for order in self.rows.get("orders", []):
            if order["status"] not in ("PAID", "SHIPPED", "DELIVERED", "COMPLETED"):
                continue
            points = (order["total"] / 10).quantize(decimal.Decimal("1"), rounding=decimal.ROUND_DOWN)
            if points:
                self.entry(accounts, order["customer_id"], "POINTS", "EARN", points, f"order:{order['order_number']}")
        for customer_id, account in list(accounts.items()):
            if rng.random() < 0.3 and account["POINTS"] > 200:
                self.entry(accounts, customer_id, "POINTS", "REDEEM", -decimal.Decimal(200), f"redeem:{customer_id}")
            if rng.random() < 0.25:
                self.entry(accounts, customer_id, "BALANCE", "TOP_UP", _money("1000"), f"topup:{customer_id}")
                self.entry(
                    accounts, customer_id, "BALANCE", "SPEND", -_money(rng.randrange(50, 900)), f"spend:{customer_id}"
                )
        for customer_id, account in accounts.items():
            self.add(
                "member_accounts",
                id=customer_id,
                points=account["POINTS"],
                balance=account["BALANCE"],
                points_earned=account["EARNED"],
            )

    def entry(
        self,
        accounts: dict[uuid.UUID, dict[str, decimal.Decimal]],
        customer_id: uuid.UUID,
        account: str,
        kind: str,
        amount: decimal.Decimal,
        reference: str,
    ) -> None:
        balances = accounts.setdefault(
            customer_id, {"POINTS": decimal.Decimal(0), "BALANCE": decimal.Decimal(0), "EARNED": decimal.Decimal(0)}
        )
        balances[account] += amount
        if kind == "EARN":
            balances["EARNED"] += amount
        self.add(
            "ledger_entries",
            customer_id=customer_id,
            account=account,
            kind=kind,
            amount=amount,
            balance_after=balances[account],
            reference=reference,
            created_by_id=self.owner_id,
        )


TABLE_ORDER: list[type[Any]] = [
    Team,
    User,
    Product,
    MembershipTier,
    Customer,
    Contact,
    Order,
    OrderItem,
    ShipmentEvent,
    Interaction,
    ServiceCase,
    Feedback,
    Opportunity,
    OpportunityStageChange,
    Lead,
    Campaign,
    CampaignMember,
    MemberAccount,
    LedgerEntry,
]


async def seed_demo(conn: AsyncConnection) -> bool:
    """Create the demo tenant and its data; False (and no change) when it already exists."""
    if await find_tenant(conn, DEMO_SLUG) is not None:
        return False
    created = await create_tenant(
        conn, "Demo Company", slug=DEMO_SLUG, owner_email="owner@demo.example", owner_name="Olivia Owner"
    )
    tenant = created.tenant
    tenants = table_of(Tenant)
    await conn.execute(
        tenants.update().where(tenants.c.id == tenant.id).values(settings=TenantSettings(currency="CNY").to_json())
    )
    demo = _Demo(tenant, created.owner_id)
    names = base_type_names()
    for entity, key, type_name, label, settings in FIELDS:
        change = service.DefinitionChange(label=label, settings=settings)
        demo.fields[key] = await service.create_definition(
            conn, tenant.id, entity=entity, key=key, type_name=type_name, change=change, schema_type_names=names
        )
    stages_table = table_of(PipelineStage)
    stages = (
        await conn.execute(
            select(stages_table).where(stages_table.c.tenant_id == tenant.id).order_by(stages_table.c.position)
        )
    ).all()
    demo.build(list(stages))
    for model in TABLE_ORDER:
        table: Table = table_of(model)
        rows = demo.rows.get(table.name)
        if rows:
            await conn.execute(insert(table), rows)
    # users' team ids point at teams written above; tokens point at users: nothing else to link.
    return True


async def demo_token(conn: AsyncConnection) -> str:
    """A fresh ADMIN token for the demo tenant; the one the previous `rapport serve` printed is revoked."""
    tenant = await find_tenant(conn, DEMO_SLUG)
    assert tenant is not None
    await revoke_tokens_named(conn, tenant, DEMO_TOKEN_NAME)
    await enter_tenant(conn, tenant.id)
    return await issue_token(conn, tenant, "ADMIN", name=DEMO_TOKEN_NAME)
