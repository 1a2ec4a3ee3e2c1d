"""Figures derived from the facts, computed when asked (so they are consistent after every write).

Per customer: lifetime value, order count, average order value, first/last order, purchase frequency, last
interaction, open opportunities and cases, points and balance, membership tier, lifecycle stage; and RFM
scores within the tenant. Rules (documented in the README):

- Revenue orders are PAID, SHIPPED, DELIVERED or COMPLETED (not PENDING, CANCELLED or REFUNDED).
- Money figures count orders in the tenant's currency only (there are no exchange rates); the order count
  counts revenue orders in every currency.
- Purchase frequency: revenue orders per 30 days since the first one (at least one 30-day period).
- Tier: the highest-ranked tier whose threshold the lifetime value (LIFETIME_SPEND) or the points ever
  earned (POINTS) reaches.
- Lifecycle stage, with the tenant's day thresholds: LEAD without revenue orders; NEW while the first order
  is at most ``newDays`` old; ACTIVE when the last order is at most ``activeDays`` old; DORMANT up to
  ``churnDays``; CHURNED after that.
- RFM: over the tenant's customers with revenue orders in the tenant's currency, each score is
  ceil(5 x cume_dist) of recency (last order time), frequency (order count) and monetary (revenue), so
  ties share a score and the best fifth scores 5.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from rapport.context import RequestContext
from rapport.db import driver
from rapport.db.driver import DriverStatement
from rapport.resolvers.mutations.order import REVENUE_STATUSES
from rapport.tenant_settings import LifecycleRules

ZERO = decimal.Decimal("0.00")

# Revenue statuses are constants: written into the statements, not bound (array parameters cost CPU to send).
assert all(status.isalpha() and status.isupper() for status in REVENUE_STATUSES)
_REVENUE = "(" + ", ".join(f"'{status}'" for status in REVENUE_STATUSES) + ")"


def _figures_sql(customers: str) -> str:
    """The figures of the customers ``customers`` yields (a row source of ids, named p(id))."""
    return f"""
    SELECT p.id,
           coalesce(o.order_count, 0) AS order_count,
           coalesce(o.revenue, 0) AS revenue,
           coalesce(o.revenue_count, 0) AS revenue_count,
           o.first_at, o.last_at,
           i.last_at AS last_interaction_at,
           op.open_count AS open_opportunities,
           sc.open_count AS open_cases,
           coalesce(a.points, 0) AS points,
           coalesce(a.balance, 0) AS balance,
           coalesce(a.points_earned, 0) AS points_earned,
           t.id AS tier_id, t.name AS tier_name
      FROM {customers} AS p(id)
      LEFT JOIN LATERAL (
        SELECT count(*) AS order_count,
               sum(total) FILTER (WHERE currency = :currency) AS revenue,
               count(*) FILTER (WHERE currency = :currency) AS revenue_count,
               min(ordered_at) AS first_at, max(ordered_at) AS last_at
          FROM orders
         WHERE tenant_id = :tenant AND customer_id = p.id AND deleted_at IS NULL AND status IN {_REVENUE}
      ) o ON true
      LEFT JOIN LATERAL (
        SELECT max(occurred_at) AS last_at FROM interactions
         WHERE tenant_id = :tenant AND customer_id = p.id AND deleted_at IS NULL
      ) i ON true
      LEFT JOIN LATERAL (
        SELECT count(*) AS open_count
          FROM opportunities x JOIN pipeline_stages s ON s.tenant_id = x.tenant_id AND s.id = x.stage_id
         WHERE x.tenant_id = :tenant AND x.customer_id = p.id AND x.deleted_at IS NULL AND s.kind = 'OPEN'
      ) op ON true
      LEFT JOIN LATERAL (
        SELECT count(*) AS open_count FROM service_cases
         WHERE tenant_id = :tenant AND customer_id = p.id AND deleted_at IS NULL
           AND status NOT IN ('RESOLVED', 'CLOSED')
      ) sc ON true
      LEFT JOIN member_accounts a ON a.tenant_id = :tenant AND a.id = p.id
      LEFT JOIN LATERAL (
        SELECT id, name FROM membership_tiers
         WHERE tenant_id = :tenant
           AND ((basis = 'LIFETIME_SPEND' AND threshold <= coalesce(o.revenue, 0))
             OR (basis = 'POINTS' AND threshold <= coalesce(a.points_earned, 0)))
         ORDER BY rank DESC LIMIT 1
      ) t ON true
    """


FIGURES_SQL = text(_figures_sql("unnest(:ids)")).bindparams(bindparam("ids", type_=ARRAY(UUID(as_uuid=True))))

RFM_SQL = text(
    f"""
    WITH stats AS (
      SELECT o.customer_id, max(o.ordered_at) AS last_at, count(*) AS n, sum(o.total) AS m
        FROM orders o JOIN customers c ON c.tenant_id = o.tenant_id AND c.id = o.customer_id
       WHERE o.tenant_id = :tenant AND o.deleted_at IS NULL AND c.deleted_at IS NULL
         AND o.status IN {_REVENUE} AND o.currency = :currency
       GROUP BY o.customer_id
    ), scored AS (
      SELECT customer_id,
             ceil(5 * cume_dist() OVER (ORDER BY last_at))::int AS recency,
             ceil(5 * cume_dist() OVER (ORDER BY n))::int AS frequency,
             ceil(5 * cume_dist() OVER (ORDER BY m))::int AS monetary
        FROM stats
    )
    SELECT * FROM scored WHERE customer_id = ANY(:ids)
    """
).bindparams(bindparam("ids", type_=ARRAY(UUID(as_uuid=True))))


@dataclass(frozen=True)
class CustomerFiguresValue:
    customer_id: uuid.UUID
    currency: str
    order_count: int
    lifetime_value: decimal.Decimal
    average_order_value: decimal.Decimal | None
    first_order_at: dt.datetime | None
    last_order_at: dt.datetime | None
    purchase_frequency: decimal.Decimal | None
    last_interaction_at: dt.datetime | None
    open_opportunities: int
    open_cases: int
    points: decimal.Decimal
    balance: decimal.Decimal
    points_earned: decimal.Decimal
    tier_id: uuid.UUID | None
    tier_name: str | None
    lifecycle_stage: str


@dataclass(frozen=True)
class RfmValue:
    recency: int
    frequency: int
    monetary: int


def lifecycle_stage(
    rules: LifecycleRules, first_at: dt.datetime | None, last_at: dt.datetime | None, now: dt.datetime
) -> str:
    if first_at is None or last_at is None:
        return "LEAD"
    if now - first_at <= dt.timedelta(days=rules.new_days):
        return "NEW"
    since_last = now - last_at
    if since_last <= dt.timedelta(days=rules.active_days):
        return "ACTIVE"
    if since_last <= dt.timedelta(days=rules.churn_days):
        return "DORMANT"
    return "CHURNED"


def purchase_frequency(order_count: int, first_at: dt.datetime | None, now: dt.datetime) -> decimal.Decimal | None:
    if not order_count or first_at is None:
        return None
    periods = max(decimal.Decimal(1), decimal.Decimal((now - first_at).total_seconds()) / (30 * 86400))
    return (decimal.Decimal(order_count) / periods).quantize(ZERO, rounding=decimal.ROUND_HALF_UP)


def _value(row: Any, ctx: RequestContext, now: dt.datetime) -> CustomerFiguresValue:
    revenue = decimal.Decimal(row.revenue).quantize(ZERO)
    average = (
        (revenue / row.revenue_count).quantize(ZERO, rounding=decimal.ROUND_HALF_UP) if row.revenue_count else None
    )
    return CustomerFiguresValue(
        customer_id=row.id,
        currency=ctx.settings.currency,
        order_count=row.order_count,
        lifetime_value=revenue,
        average_order_value=average,
        first_order_at=row.first_at,
        last_order_at=row.last_at,
        purchase_frequency=purchase_frequency(row.order_count, row.first_at, now),
        last_interaction_at=row.last_interaction_at,
        open_opportunities=row.open_opportunities,
        open_cases=row.open_cases,
        # Customers without an account get the SQL literal 0: money keeps two decimals either way.
        points=decimal.Decimal(row.points).quantize(ZERO),
        balance=decimal.Decimal(row.balance).quantize(ZERO),
        points_earned=decimal.Decimal(row.points_earned).quantize(ZERO),
        tier_id=row.tier_id,
        tier_name=row.tier_name,
        lifecycle_stage=lifecycle_stage(ctx.settings.lifecycle, row.first_at, row.last_at, now),
    )


async def load_figures(ctx: RequestContext, customer_ids: list[uuid.UUID]) -> list[CustomerFiguresValue]:
    """Figures for many customers in one statement, aligned with ``customer_ids``."""
    rows = await ctx.conn.execute(
        FIGURES_SQL,
        {
            "ids": customer_ids,
            "tenant": ctx.tenant_id,
            "currency": ctx.settings.currency,
        },
    )
    now = dt.datetime.now(dt.UTC)
    by_id = {row.id: _value(row, ctx, now) for row in rows}
    return [by_id[i] for i in customer_ids]


async def load_rfm(ctx: RequestContext, customer_ids: list[uuid.UUID]) -> list[RfmValue | None]:
    rows = await ctx.conn.execute(
        RFM_SQL,
        {
            "ids": customer_ids,
            "tenant": ctx.tenant_id,
            "currency": ctx.settings.currency,
        },
    )
    by_id = {row.customer_id: RfmValue(row.recency, row.frequency, row.monetary) for row in rows}
    return [by_id.get(i) for i in customer_ids]


# The statement behind customerSummary, which mobile apps poll: straight to the driver (rapport/db/driver.py), and
# on the read pool pipelined with authentication, in one round trip (rapport/read_path.py).
_SUMMARY_SQL = f"""
    SELECT c.name, f.*
      FROM customers c
      JOIN ({_figures_sql("(SELECT CAST(:id AS uuid))")}) f ON f.id = c.id
     WHERE c.tenant_id = :tenant AND c.id = :id AND c.deleted_at IS NULL
    """
SUMMARY = DriverStatement.of(text(_SUMMARY_SQL))


async def load_summary(ctx: RequestContext, customer_id: uuid.UUID) -> tuple[str, CustomerFiguresValue] | None:
    """The customer's name and figures in one statement; None when there is no such (live) customer."""
    row = await driver.first(
        ctx.conn,
        SUMMARY,
        {
            "id": customer_id,
            "tenant": ctx.tenant_id,
            "currency": ctx.settings.currency,
        },
    )
    if row is None:
        return None
    return row.name, _value(row, ctx, dt.datetime.now(dt.UTC))
