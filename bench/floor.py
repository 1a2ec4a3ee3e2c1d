"""The database floor: each read scenario's data fetched with the best hand-written SQL, one statement,
the JSON built by PostgreSQL (LATERAL subqueries and ``json_agg``), through psycopg with prepared statements.

Run as ``python -m bench.floor SPEC.json``: the same closed loop, concurrency and duration as the HTTP
driver (``bench.load``), on connections of the app role (row-level security applies, as for the API). The
JSON comes back as text, unparsed, as the HTTP driver receives the API's. The ratio API ÷ floor is what the
API layer (HTTP, GraphQL, Python) costs on top of the data itself.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.types.string import TextLoader

from bench.load import Window, closed_loop, cpu_reading, run_driver, summarise

REVENUE = "('PAID', 'SHIPPED', 'DELIVERED', 'COMPLETED')"

# customerSummary: the figures (rules in rapport.resolvers.figures) with the default lifecycle thresholds.
SUMMARY = f"""
SELECT json_build_object(
         'id', c.id, 'name', c.name, 'tier', t.name,
         'lifecycleStage', CASE WHEN o.first_at IS NULL THEN 'LEAD'
                                WHEN now() - o.first_at <= interval '30 days' THEN 'NEW'
                                WHEN now() - o.last_at <= interval '90 days' THEN 'ACTIVE'
                                WHEN now() - o.last_at <= interval '365 days' THEN 'DORMANT'
                                ELSE 'CHURNED' END,
         'currency', %(currency)s::text, 'lifetimeValue', coalesce(o.revenue, 0), 'orderCount', o.n,
         'lastOrderAt', o.last_at, 'lastInteractionAt', i.last_at,
         'openOpportunities', op.n, 'openCases', sc.n,
         'points', coalesce(a.points, 0), 'balance', coalesce(a.balance, 0))
  FROM customers c
  CROSS JOIN LATERAL (
    SELECT count(*) AS n, sum(total) FILTER (WHERE currency = %(currency)s::text) AS revenue,
           min(ordered_at) AS first_at, max(ordered_at) AS last_at
      FROM orders
     WHERE tenant_id = c.tenant_id AND customer_id = c.id AND deleted_at IS NULL AND status IN {REVENUE}) o
  CROSS JOIN LATERAL (
    SELECT max(occurred_at) AS last_at FROM interactions
     WHERE tenant_id = c.tenant_id AND customer_id = c.id AND deleted_at IS NULL) i
  CROSS JOIN LATERAL (
    SELECT count(*) AS n FROM opportunities x
      JOIN pipeline_stages s ON s.tenant_id = x.tenant_id AND s.id = x.stage_id
     WHERE x.tenant_id = c.tenant_id AND x.customer_id = c.id AND x.deleted_at IS NULL AND s.kind = 'OPEN') op
  CROSS JOIN LATERAL (
    SELECT count(*) AS n FROM service_cases
     WHERE tenant_id = c.tenant_id AND customer_id = c.id AND deleted_at IS NULL
       AND status NOT IN ('RESOLVED', 'CLOSED')) sc
  LEFT JOIN member_accounts a ON a.tenant_id = c.tenant_id AND a.id = c.id
  LEFT JOIN LATERAL (
    SELECT name FROM membership_tiers
     WHERE tenant_id = c.tenant_id
       AND ((basis = 'LIFETIME_SPEND' AND threshold <= coalesce(o.revenue, 0))
         OR (basis = 'POINTS' AND threshold <= coalesce(a.points_earned, 0)))
     ORDER BY rank DESC LIMIT 1) t ON true
 WHERE c.tenant_id = %(tenant)s::uuid AND c.id = %(id)s::uuid AND c.deleted_at IS NULL
"""

# Select fields are stored as option ids; the API shows the option's enum value (a map passed as JSON).
LIST50 = """
SELECT coalesce(json_agg(json_build_object(
         'id', c.id, 'name', c.name, 'email', c.email, 'phone', c.phone, 'createdAt', c.created_at,
         'custom', json_build_object(
           'segment', %(segment)s::jsonb ->> (c.custom ->> 'segment'), 'score', c.custom -> 'score',
           'signupDate', c.custom -> 'signupDate', 'vip', c.custom -> 'vip',
           'region', %(region)s::jsonb ->> (c.custom ->> 'region'))) ORDER BY c.id), '[]')
  FROM (SELECT id, name, email, phone, created_at, custom FROM customers
         WHERE tenant_id = %(tenant)s::uuid AND deleted_at IS NULL AND id > %(after)s::uuid
         ORDER BY id LIMIT 50) c
"""

NESTED = """
SELECT coalesce(json_agg(json_build_object(
         'id', c.id, 'name', c.name, 'email', c.email,
         'contacts', (
           SELECT json_build_object('nodes', coalesce(json_agg(
                    json_build_object('id', x.id, 'name', x.name, 'title', x.title, 'email', x.email)
                    ORDER BY x.id), '[]'))
             FROM (SELECT id, name, title, email FROM contacts
                    WHERE tenant_id = c.tenant_id AND customer_id = c.id AND deleted_at IS NULL
                    ORDER BY id LIMIT 5) x),
         'orders', (
           SELECT json_build_object('nodes', coalesce(json_agg(json_build_object(
                    'id', o.id, 'orderNumber', o.order_number, 'status', o.status, 'orderedAt', o.ordered_at,
                    'total', o.total,
                    'items', (
                      SELECT coalesce(json_agg(json_build_object(
                               'id', i.id, 'position', i.position, 'quantity', i.quantity,
                               'unitPrice', i.unit_price, 'lineTotal', i.line_total,
                               'product', json_build_object('id', p.id, 'sku', p.sku, 'name', p.name,
                                                            'unitPrice', p.unit_price))
                             ORDER BY i.position, i.id), '[]')
                        FROM order_items i
                        JOIN products p ON p.tenant_id = i.tenant_id AND p.id = i.product_id
                       WHERE i.tenant_id = o.tenant_id AND i.order_id = o.id)) ORDER BY o.id), '[]'))
             FROM (SELECT tenant_id, id, order_number, status, ordered_at, total FROM orders
                    WHERE tenant_id = c.tenant_id AND customer_id = c.id AND deleted_at IS NULL
                    ORDER BY id LIMIT 5) o),
         'interactions', (
           SELECT json_build_object('nodes', coalesce(json_agg(
                    json_build_object('id', x.id, 'channel', x.channel, 'direction', x.direction,
                                      'occurredAt', x.occurred_at, 'subject', x.subject)
                    ORDER BY x.id), '[]'))
             FROM (SELECT id, channel, direction, occurred_at, subject FROM interactions
                    WHERE tenant_id = c.tenant_id AND customer_id = c.id AND deleted_at IS NULL
                    ORDER BY id LIMIT 10) x)) ORDER BY c.id), '[]')
  FROM (SELECT tenant_id, id, name, email FROM customers
         WHERE tenant_id = %(tenant)s::uuid AND deleted_at IS NULL AND id > %(after)s::uuid
         ORDER BY id LIMIT 20) c
"""

# Page 2 of (segment = X AND score >= N) by signupDate descending, as the best SQL under row-level security
# writes it: the leakproof accessors (rapport.customfields.accessors) let the (tenant_id, signupDate) index
# start the backward scan at page 1's last date; the row comparison settles ties. signupDate is set on every
# bench customer.
CUSTOM_FILTER = """
SELECT coalesce(json_agg(json_build_object(
         'id', c.id, 'name', c.name,
         'custom', json_build_object('segment', %(segment)s::jsonb ->> (c.custom ->> 'segment'),
                                     'score', c.custom -> 'score', 'signupDate', c.custom -> 'signupDate'))
         ORDER BY c.signup DESC, c.id DESC), '[]')
  FROM (SELECT id, name, custom, rapport_custom_text(custom, 'signupDate') AS signup FROM customers
         WHERE tenant_id = %(tenant)s::uuid AND deleted_at IS NULL
           AND custom @> %(contains)s::jsonb AND rapport_custom_bigint(custom, 'score') >= %(min_score)s::bigint
           AND rapport_custom_text(custom, 'signupDate') <= %(after_date)s::text
           AND (rapport_custom_text(custom, 'signupDate'), id) < (%(after_date)s::text, %(after_id)s::uuid)
         ORDER BY rapport_custom_text(custom, 'signupDate') DESC, id DESC LIMIT 20) c
"""

FLOOR_SQL: dict[str, str] = {"summary": SUMMARY, "list50": LIST50, "nested": NESTED, "customFilter": CUSTOM_FILTER}


async def connect(spec: dict[str, Any]) -> psycopg.AsyncConnection[Any]:
    """A connection as the API's role, scoped to the bench tenant for the whole session; JSON stays text."""
    conn = await psycopg.AsyncConnection.connect(spec["conninfo"], autocommit=True)
    for json_type in ("json", "jsonb"):
        conn.adapters.register_loader(json_type, TextLoader)
    if spec.get("role"):
        await conn.execute(f'SET ROLE "{spec["role"]}"')
    await conn.execute("SELECT set_config('rapport.tenant_id', %s, false)", [spec["tenant"]])
    return conn


async def fetch_json(conn: psycopg.AsyncConnection[Any], sql: str, params: dict[str, Any]) -> str | None:
    cursor = await conn.execute(sql, params)
    row = await cursor.fetchone()
    return None if row is None else row[0]


async def drive_sql(spec: dict[str, Any]) -> dict[str, Any]:
    sql, params = spec["sql"], spec["params"]
    connections = [await connect(spec) for _ in range(spec["concurrency"])]

    async def call(c: int, n: int) -> str | None:
        answer = await fetch_json(connections[c], sql, params[n % len(params)])
        return None if answer is not None else "no row"

    async def read_window() -> Window:
        return cpu_reading(None, spec.get("postmaster_pid"))

    result = summarise(*await closed_loop(call, spec["concurrency"], spec["warmup"], spec["duration"], read_window))
    result["sql_per_request"] = 1.0
    for connection in connections:
        await connection.close()
    return result


def fetch_once(conninfo: str, role: str | None, tenant: str, sql: str, params: dict[str, Any]) -> str | None:
    """The floor's answer to one variant (checks and tests), on a connection set up like the driver's."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for json_type in ("json", "jsonb"):
            conn.adapters.register_loader(json_type, TextLoader)
        if role:
            conn.execute(f'SET ROLE "{role}"')
        conn.execute("SELECT set_config('rapport.tenant_id', %s, false)", [tenant])
        row = conn.execute(sql, params).fetchone()
        return None if row is None else row[0]


if __name__ == "__main__":
    run_driver(drive_sql)
