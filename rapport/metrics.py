"""Prometheus metrics for ``GET /metrics``: request outcomes and latency, SQL statements, schema builds."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "rapport_requests",
    "GraphQL requests by outcome (ok, errors, unauthenticated, unavailable, bad_request).",
    ["outcome"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "rapport_request_seconds",
    "Time to answer a GraphQL request.",
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=REGISTRY,
)
SQL_STATEMENTS = Counter("rapport_sql_statements", "SQL statements sent by request handling.", registry=REGISTRY)
SCHEMA_BUILDS = Counter("rapport_schema_builds", "Tenant schemas built (cache misses).", registry=REGISTRY)


def count_statements(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(*_: Any) -> None:
        SQL_STATEMENTS.inc()


def exposition() -> bytes:
    return generate_latest(REGISTRY)
