"""The data generator: deterministic rows for a preset's tenants, bulk-loaded with COPY.

Each tenant is created the way an operator creates one (``rapport.tenants.create_tenant``, custom fields
through ``rapport.customfields.service``), then its rows are generated from a seeded RNG and copied in, all
in one owner transaction scoped to the tenant (``enter_tenant``), so a tenant is either fully loaded or
absent. Ids are UUIDv7-shaped and drawn from the same RNG: the same seed gives the same rows, and ids made
later sort later, as ``rapport.ids.new_id`` does.

Roles that bypass row-level security (the embedded cluster's superuser) COPY straight into the tables;
others cannot COPY into a table under RLS, so rows go through a temporary staging table and one
``INSERT ... SELECT`` per chunk, which the tenant policy checks like any write.
"""

from __future__ import annotations

import datetime as dt
import decimal
import importlib
import random
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from psycopg import AsyncConnection as PsycopgConnection
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import column, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench.fields import FieldSpec, ValuePools
from bench.presets import Preset, TenantPlan
from rapport.customfields import service
from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.registry import field_type
from rapport.schema.cache import base_type_names
from rapport.tenants import TenantRef, create_tenant, enter_tenant, find_tenant

GENERATOR_VERSION = 2  # bump when the rows change, so old bench tenants are not reused
NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)  # fixed, so the data is the same whenever it is generated
FIRST_ID_MS = int(dt.datetime(2025, 1, 1, tzinfo=dt.UTC).timestamp() * 1000)
CURRENCY = "USD"  # the default tenant currency: every order counts towards the figures
CENT = decimal.Decimal("0.01")
CHUNK = 1_000  # customers per chunk (with their children)

Row = tuple[Any, ...]

COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("tenant_id", "id", "name", "email", "role"),
    "membership_tiers": ("tenant_id", "id", "name", "rank", "basis", "threshold", "benefits"),
    "products": ("tenant_id", "id", "sku", "name", "category", "unit_price", "currency", "created_at", "updated_at"),
    "customers": (
        "tenant_id",
        "id",
        "kind",
        "name",
        "gender",
        "birthday",
        "email",
        "phone",
        "address_country",
        "address_city",
        "address_postal_code",
        "source_channel",
        "tags",
        "owner_id",
        "custom",
        "created_at",
        "updated_at",
    ),
    "contacts": ("tenant_id", "id", "customer_id", "name", "title", "decision_role", "email", "created_at"),
    "orders": (
        "tenant_id",
        "id",
        "order_number",
        "customer_id",
        "status",
        "ordered_at",
        "paid_at",
        "payment_method",
        "currency",
        "subtotal",
        "discount_total",
        "total",
        "recipient_name",
        "recipient_city",
        "created_at",
        "updated_at",
    ),
    "order_items": (
        "tenant_id",
        "id",
        "order_id",
        "position",
        "product_id",
        "quantity",
        "unit_price",
        "discount",
        "line_total",
    ),
    "interactions": (
        "tenant_id",
        "id",
        "customer_id",
        "contact_id",
        "channel",
        "direction",
        "occurred_at",
        "duration_seconds",
        "subject",
        "outcome",
        "owner_id",
        "created_at",
        "updated_at",
    ),
}
# Foreign keys point backwards in this order.
TABLE_ORDER = tuple(COLUMNS)

GIVEN = ["Lei", "Mei", "Anna", "Lukas", "Sofia", "Mateo", "Emma", "Noah", "Yuki", "Linh", "Olivia", "Marco", "Aiko"]
SURNAMES = ["Li", "Wang", "Chen", "Müller", "Schmidt", "Garcia", "Rossi", "Smith", "Tanaka", "Kim", "Nguyen"]
COMPANY_WORDS = ["Harbor", "Blue Peak", "Jade", "Nordlicht", "Sunrise", "Lotus", "Atlas", "Golden", "Maple", "Pixel"]
COMPANY_KINDS = ["Logistics", "Outdoor", "Restaurants", "Optik", "Motors", "Furnishing", "Fitness", "Trading"]
CITIES = [
    ("CN", "Shanghai", "200000"),
    ("CN", "Shenzhen", "518000"),
    ("DE", "Berlin", "10115"),
    ("US", "Seattle", "98101"),
]
CATEGORIES = ["Tea", "Outdoor", "Electronics", "Home", "Fitness", "Gifts"]
CHANNELS = ["PHONE", "EMAIL", "CHAT", "MEETING", "VISIT", "SOCIAL", "SMS", "OTHER"]
SUBJECTS = ["Follow-up on order", "Product question", "Renewal", "Delivery", "New catalogue", "Price negotiation"]
STATUSES = ["COMPLETED", "DELIVERED", "SHIPPED", "PAID", "PENDING", "CANCELLED", "REFUNDED"]
STATUS_WEIGHTS = [50, 12, 6, 6, 8, 5, 3]
DISCOUNTS = [decimal.Decimal(d) for d in ("0", "0", "0.05", "0.10")]
TIERS = [("Bronze", 1, "0.00"), ("Silver", 2, "3000.00"), ("Gold", 3, "10000.00"), ("Platinum", 4, "30000.00")]


class Ids:
    """Deterministic UUIDv7-shaped ids: a millisecond counter, then random bits from the tenant's RNG."""

    def __init__(self, rng: random.Random, first_ms: int) -> None:
        self.rng = rng
        self.ms = first_ms

    def __call__(self) -> uuid.UUID:
        self.ms += 1
        value = (self.ms << 80) | (0x7 << 76) | (self.rng.getrandbits(12) << 64) | (0b10 << 62)
        return uuid.UUID(int=value | self.rng.getrandbits(62))


@dataclass
class TenantRows:
    """Generates one tenant's rows, deterministically from (seed, tenant index) and the given ids."""

    plan: TenantPlan
    seed: int
    tenant_id: uuid.UUID
    owner_id: uuid.UUID
    definitions: Sequence[FieldDefinition]
    rng: random.Random = field(init=False)
    new_id: Ids = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(f"rapport-bench:{self.seed}:{self.plan.index}")
        self.new_id = Ids(self.rng, FIRST_ID_MS + self.plan.index * 10**9)
        self.pools = ValuePools.build(self.plan.fields, self.definitions, f"{self.seed}:{self.plan.index}")
        self.reps: list[uuid.UUID] = [self.owner_id]
        self.products: list[tuple[uuid.UUID, decimal.Decimal]] = []
        self.order_count = 0

    def at(self, max_days: float) -> dt.datetime:
        return NOW - dt.timedelta(seconds=self.rng.randrange(int(max_days * 86400)))

    def fixed(self) -> dict[str, list[Row]]:
        """Users, membership tiers and products: what customers and orders refer to."""
        t, rng = self.tenant_id, self.rng
        users = []
        for n in range(4):
            user_id = self.new_id()
            self.reps.append(user_id)
            users.append((t, user_id, f"Rep {n + 1}", f"rep{n + 1}@bench.example", "MEMBER"))
        tiers = [
            (t, self.new_id(), name, rank, "LIFETIME_SPEND", decimal.Decimal(threshold), None)
            for name, rank, threshold in TIERS
        ]
        products = []
        for n in range(self.plan.products):
            price = decimal.Decimal(rng.randrange(500, 200_000)) / 100
            product_id = self.new_id()
            self.products.append((product_id, price))
            created = self.at(900)
            category = CATEGORIES[n % len(CATEGORIES)]
            products.append(
                (t, product_id, f"SKU-{n:06d}", f"{category} item {n}", category, price, CURRENCY, created, created)
            )
        return {"users": users, "membership_tiers": tiers, "products": products}

    def chunks(self, size: int = CHUNK) -> Iterator[dict[str, list[Row]]]:
        """Customers with their contacts, orders, lines and interactions, ``size`` customers at a time."""
        if not self.products:
            raise RuntimeError("write fixed() first: customers refer to its users and products")
        for start in range(0, self.plan.customers, size):
            chunk: dict[str, list[Row]] = {
                name: [] for name in ("customers", "contacts", "orders", "order_items", "interactions")
            }
            for n in range(start, min(start + size, self.plan.customers)):
                self.customer(n, chunk)
            yield chunk

    def customer(self, n: int, out: dict[str, list[Row]]) -> None:
        t, rng = self.tenant_id, self.rng
        company = rng.random() < 0.4
        country, city, postal = rng.choice(CITIES)
        if company:
            name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)} {n}"
            gender, birthday = None, None
        else:
            name = f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}"
            gender = rng.choice(["FEMALE", "MALE", "UNDISCLOSED"])
            birthday = dt.date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
        created = self.at(1000)
        customer_id = self.new_id()
        out["customers"].append(
            (
                t,
                customer_id,
                "COMPANY" if company else "PERSON",
                name,
                gender,
                birthday,
                f"customer{n}@t{self.plan.index}.example.com",
                f"+86138{rng.randrange(10**7, 10**8)}" if country == "CN" else None,
                country,
                city,
                postal,
                rng.choice(["website", "referral", "event", "social", "ad"]),
                rng.sample(["vip", "wholesale", "b2b", "newsletter", "returning"], rng.randint(0, 2)),
                rng.choice(self.reps),
                orjson.dumps(self.pools.draw(rng)).decode(),
                created,
                created,
            )
        )
        # Only companies have contacts (the API keeps it so). Counts vary little around the preset's means, so
        # a page of `nested` holds about the same number of objects wherever it starts.
        contacts = []
        for c in range(rng.randint(3, 7) if company else 0):
            contact_id = self.new_id()
            contacts.append(contact_id)
            person = f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}"
            out["contacts"].append(
                (
                    t,
                    contact_id,
                    customer_id,
                    person,
                    rng.choice(["CEO", "Buyer", "Operations Lead", "CFO", "Store Manager"]),
                    rng.choice(["DECISION_MAKER", "INFLUENCER", "CHAMPION", "GATEKEEPER", "USER"]),
                    f"contact{n}-{c}@t{self.plan.index}.example.com",
                    created,
                )
            )
        for _ in range(rng.randint(3, 7)):
            self.order(customer_id, out)
        for _ in range(rng.randint(6, 14)):
            channel = rng.choice(CHANNELS)
            occurred = self.at(700)
            out["interactions"].append(
                (
                    t,
                    self.new_id(),
                    customer_id,
                    rng.choice(contacts) if contacts and rng.random() < 0.6 else None,
                    channel,
                    rng.choice(["INBOUND", "OUTBOUND"]),
                    occurred,
                    rng.randint(60, 3600) if channel in ("PHONE", "MEETING", "VISIT") else None,
                    rng.choice(SUBJECTS),
                    rng.choice(["Resolved", "Needs follow-up", "Sent quote", None]),
                    rng.choice(self.reps),
                    occurred,
                    occurred,
                )
            )

    def order(self, customer_id: uuid.UUID, out: dict[str, list[Row]]) -> None:
        t, rng = self.tenant_id, self.rng
        order_id = self.new_id()
        ordered = self.at(730)
        status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
        subtotal = discounts = decimal.Decimal("0.00")
        for position in range(1, rng.randint(2, 4) + 1):
            product_id, price = self.products[rng.randrange(len(self.products))]
            quantity = rng.randint(1, 3)
            gross = (price * quantity).quantize(CENT)
            discount = (gross * rng.choice(DISCOUNTS)).quantize(CENT)
            out["order_items"].append(
                (t, self.new_id(), order_id, position, product_id, quantity, price, discount, gross - discount)
            )
            subtotal += gross
            discounts += discount
        self.order_count += 1
        out["orders"].append(
            (
                t,
                order_id,
                f"SO-{self.order_count:08d}",
                customer_id,
                status,
                ordered,
                ordered + dt.timedelta(minutes=5) if status not in ("PENDING", "CANCELLED") else None,
                rng.choice(["alipay", "wechat_pay", "card", "transfer"]),
                CURRENCY,
                subtotal,
                discounts,
                subtotal - discounts,
                f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}",
                rng.choice(CITIES)[1],
                ordered,
                ordered,
            )
        )


class Copier:
    """COPY rows into a table inside the current (tenant-scoped) transaction."""

    def __init__(self, conn: PsycopgConnection[Any], direct: bool) -> None:
        self.conn = conn
        self.direct = direct
        self.staged: set[str] = set()

    async def write(self, table: str, rows: Sequence[Row]) -> None:
        if not rows:
            return
        columns = ", ".join(COLUMNS[table])
        target = table if self.direct else await self._stage(table)
        async with self.conn.cursor() as cur:
            async with cur.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    await copy.write_row(row)
            if not self.direct:
                await cur.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {target}")
                await cur.execute(f"TRUNCATE {target}")

    async def _stage(self, table: str) -> str:
        name = f"bench_stage_{table}"
        if table not in self.staged:
            async with self.conn.cursor() as cur:
                await cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} (LIKE {table} INCLUDING DEFAULTS)")
            self.staged.add(table)
        return name


async def bypasses_rls(conn: AsyncConnection) -> bool:
    row = await conn.execute(text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"))
    return bool(row.scalar())


def tenant_slug(preset: str, seed: int, index: int) -> str:
    return f"bench-{preset}-s{seed}-g{GENERATOR_VERSION}-{index}"


async def create_fields(
    conn: AsyncConnection, tenant_id: uuid.UUID, specs: Sequence[FieldSpec]
) -> list[FieldDefinition]:
    names = base_type_names()
    made = []
    for position, spec in enumerate(specs, start=1):
        change = service.DefinitionChange(label=spec.label, settings=field_settings(spec), position=position)
        made.append(
            await service.create_definition(
                conn,
                tenant_id,
                entity=spec.entity,
                key=spec.key,
                type_name=spec.type,
                change=change,
                schema_type_names=names,
            )
        )
    return made


@dataclass
class LoadedTenant:
    ref: TenantRef
    plan: TenantPlan
    rows: dict[str, int]
    seconds: float | None  # None when it was loaded by an earlier run


async def load_tenant(
    conn: AsyncConnection,
    preset: str,
    plan: TenantPlan,
    seed: int,
    progress: Progress | None = None,
    task: Any = None,
    *,
    direct: bool | None = None,
) -> LoadedTenant:
    """Create one bench tenant with its fields and rows, in the caller's transaction. ``direct``: COPY into
    the tables (default: when the role bypasses row-level security) or through staging tables."""
    started = time.perf_counter()
    slug = tenant_slug(preset, seed, plan.index)
    created = await create_tenant(conn, f"Bench {preset} #{plan.index}", slug=slug, owner_email=f"owner@{slug}.example")
    tenant_id = created.tenant.id
    definitions = await create_fields(conn, tenant_id, plan.fields)
    await enter_tenant(conn, tenant_id)
    await _without_triggers(conn)
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None
    copier = Copier(raw, await bypasses_rls(conn) if direct is None else direct)
    rows = TenantRows(plan, seed, tenant_id, created.owner_id, definitions)
    counts: dict[str, int] = dict.fromkeys(TABLE_ORDER, 0)
    counts["users"] = 1  # the owner create_tenant made
    for table, table_rows in rows.fixed().items():
        await copier.write(table, table_rows)
        counts[table] += len(table_rows)
    for chunk in rows.chunks():
        for table, table_rows in chunk.items():
            await copier.write(table, table_rows)
            counts[table] += len(table_rows)
        if progress is not None:
            progress.advance(task, len(chunk["customers"]))
    return LoadedTenant(created.tenant, plan, counts, time.perf_counter() - started)


async def _without_triggers(conn: AsyncConnection) -> None:
    """Generated history is not a change anybody made: when the owner may (a superuser, as the embedded
    database's is), skip the per-row audit trigger for the rest of the transaction (a third of the load time,
    and millions of audit rows). Foreign keys are not checked either; the generator keeps them by construction."""
    superuser = await conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
    if superuser.scalar_one():
        await conn.execute(text("SET LOCAL session_replication_role = replica"))


async def count_rows(conn: AsyncConnection, tenant_id: uuid.UUID) -> dict[str, int]:
    await enter_tenant(conn, tenant_id)
    counts = {}
    for table in TABLE_ORDER:
        found = await conn.execute(text(f"SELECT count(*) FROM {table} WHERE tenant_id = :t"), {"t": tenant_id})
        counts[table] = int(found.scalar_one())
    return counts


@dataclass
class LoadReport:
    preset: str
    seed: int
    tenants: list[LoadedTenant]
    seconds: float | None  # generation and COPY, plus indexes and ANALYZE; None when everything was reused
    index_note: str

    @property
    def rows(self) -> dict[str, int]:
        total: dict[str, int] = dict.fromkeys(TABLE_ORDER, 0)
        for tenant in self.tenants:
            for table, n in tenant.rows.items():
                total[table] += n
        return total

    def as_json(self) -> dict[str, Any]:
        return {
            "preset": self.preset,
            "seed": self.seed,
            "generator_version": GENERATOR_VERSION,
            "seconds": self.seconds,
            "reused": self.seconds is None,
            "rows": self.rows,
            "tenants": [{"slug": t.ref.slug, "id": str(t.ref.id), "customers": t.plan.customers} for t in self.tenants],
            "indexes": self.index_note,
        }


async def load(
    engine: AsyncEngine, preset: Preset, seed: int, *, quiet: bool = False, indexes: bool = True
) -> LoadReport:
    """Load the preset's tenants that are not there yet (each in its own transaction), then index and ANALYZE."""
    started = time.perf_counter()
    loaded: list[LoadedTenant] = []
    missing: list[TenantPlan] = []
    async with engine.begin() as conn:
        for plan in preset.tenants:
            found = await find_tenant(conn, tenant_slug(preset.name, seed, plan.index))
            if found is None:
                missing.append(plan)
            else:
                loaded.append(LoadedTenant(found, plan, await count_rows(conn, found.id), None))
    if missing:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, disable=quiet) as progress:
            task = progress.add_task(f"{preset.name}: customers", total=sum(p.customers for p in missing))
            for plan in missing:
                progress.update(task, description=f"{preset.name}: tenant {plan.index + 1}/{len(preset.tenants)}")
                async with engine.begin() as conn:
                    loaded.append(await load_tenant(conn, preset.name, plan, seed, progress, task))
    index_note = "not asked for"
    if indexes:
        how = await ensure_indexes(engine, preset)
        async with engine.connect() as conn:
            present = await conn.execute(
                text("SELECT indexname FROM pg_indexes WHERE tablename = 'customers' AND indexname LIKE 'cf\\_%'")
            )
            names = ", ".join(sorted(present.scalars())) or "none"
            index_note = f"{how}; custom-field indexes on customers: {names}"
    if missing:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in TABLE_ORDER:
                await conn.execute(text(f"ANALYZE {table}"))
    loaded.sort(key=lambda t: t.plan.index)
    return LoadReport(preset.name, seed, loaded, time.perf_counter() - started if missing else None, index_note)


def flags_supported() -> bool:
    """Do definitions take ``filterable`` / ``sortable`` (and the API build their indexes)?"""
    return {"filterable", "sortable"} <= service.COMMON_SETTINGS


def field_settings(spec: FieldSpec) -> dict[str, Any]:
    settings = dict(spec.settings)
    if flags_supported():
        settings |= {flag: True for flag in ("filterable", "sortable") if getattr(spec, flag)}
    return settings


def index_expression(definition: FieldDefinition) -> str:
    """The SQL of the field's value expression, exactly as the API's filters and sorts write it."""
    expr = field_type(definition.type).value_expr(column("custom", JSONB), definition)
    return str(expr.compile(dialect=POSTGRESQL, compile_kwargs={"literal_binds": True}))


POSTGRESQL = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]


# Types whose filters and sorts use their value expression (equality on selects and booleans is JSONB
# containment, served by the GIN index on ``custom``).
BTREE_TYPES = frozenset({"TEXT", "INTEGER", "DECIMAL", "DATE", "DATETIME", "EMAIL", "PHONE", "URL"})


async def ensure_indexes(engine: AsyncEngine, preset: Preset) -> str:
    """Indexes for the filterable / sortable custom fields.

    When definitions carry the flags, the API builds the indexes; a load writes definitions directly, so the
    pending builds are run here. Without the flags the harness creates ``(tenant_id, value, id)`` expression
    indexes itself (shared by every tenant with the same field), which serve a filtered range and a keyset
    page sorted by the field."""
    fallback = ""
    if flags_supported():
        try:
            indexes: Any = importlib.import_module("rapport.customfields.indexes")
            statuses = [await indexes.build(engine, job) for job in await indexes.pending_jobs(engine)]
            return f"the API's index builder ran for the filterable/sortable flags ({len(statuses)} pending builds)"
        except Exception as exc:  # the builder is new: fall back to the harness's own indexes, and say so
            fallback = f"the API's index builder failed ({type(exc).__name__}: {str(exc)[:120]}); "
    specs = {
        s.key: s
        for plan in preset.tenants
        for s in plan.fields
        if (s.filterable or s.sortable) and s.type in BTREE_TYPES
    }
    async with engine.begin() as conn:
        for spec in specs.values():
            draft = FieldDefinition(
                id=uuid.UUID(int=0), entity=spec.entity, key=spec.key, type=spec.type, label=spec.label
            )
            name = f"bench_customers_custom_{spec.key.lower()}"
            await conn.execute(
                text(f"CREATE INDEX IF NOT EXISTS {name} ON customers (tenant_id, ({index_expression(draft)}), id)")
            )
    return (fallback or "no filterable/sortable flags yet; ") + "the harness created its own"
