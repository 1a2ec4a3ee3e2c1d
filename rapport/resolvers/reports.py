"""Sales reports: ``salesPerformance`` per owner or team, and ``pipelineFunnel`` per stage.

Definitions (also in the README), for a period [from, to):
- won amount / count: opportunities closed in a WON stage during the period;
- lost count: closed in a LOST stage during the period; win rate = won / (won + lost);
- open pipeline and weighted forecast: opportunities in an OPEN stage whose expected close date falls in the
  period; the forecast weighs each amount by its probability;
- lead conversion: of the leads created in the period, the share converted (so far);
- interactions: those that occurred in the period.
Money counts records in the tenant's currency only.
"""
# Payload and row types are built at run time around generated classes; mypy cannot follow them.
# mypy: disable-error-code="valid-type,no-any-return,untyped-decorator"

import datetime as dt
import decimal
import enum
import uuid
from functools import lru_cache
from typing import Annotated, Any

import strawberry
from sqlalchemy import text

from rapport.context import RequestContext
from rapport.errors import BadInput
from rapport.ids import from_global_id
from rapport.schema.entities.pipeline import PIPELINE, PIPELINE_STAGE
from rapport.schema.entities.team import TEAM
from rapport.schema.entities.user import USER
from rapport.schema.roots import RootField

Info = strawberry.Info[RequestContext, None]
ZERO = decimal.Decimal("0.00")
MAX_PERIOD = dt.timedelta(days=3700)


@strawberry.enum(description="How salesPerformance groups its rows.")
class PerformanceGrouping(enum.Enum):
    OWNER = "OWNER"
    TEAM = "TEAM"


PERFORMANCE_SQL = text(
    """
    WITH closed AS (
      SELECT o.owner_id, s.kind, count(*) AS n,
             coalesce(sum(o.amount) FILTER (WHERE o.currency = :currency), 0) AS amount
        FROM opportunities o JOIN pipeline_stages s ON s.tenant_id = o.tenant_id AND s.id = o.stage_id
       WHERE o.tenant_id = :tenant AND o.deleted_at IS NULL AND s.kind IN ('WON', 'LOST')
         AND o.closed_at >= :start AND o.closed_at < :end
       GROUP BY o.owner_id, s.kind
    ), open AS (
      SELECT o.owner_id,
             coalesce(sum(o.amount) FILTER (WHERE o.currency = :currency), 0) AS amount,
             coalesce(sum(o.amount * o.probability / 100.0) FILTER (WHERE o.currency = :currency), 0) AS weighted
        FROM opportunities o JOIN pipeline_stages s ON s.tenant_id = o.tenant_id AND s.id = o.stage_id
       WHERE o.tenant_id = :tenant AND o.deleted_at IS NULL AND s.kind = 'OPEN'
         AND o.expected_close_date >= CAST(:start AS date) AND o.expected_close_date < CAST(:end AS date)
       GROUP BY o.owner_id
    ), leads AS (
      SELECT owner_id, count(*) AS created, count(*) FILTER (WHERE converted_at IS NOT NULL) AS converted
        FROM leads
       WHERE tenant_id = :tenant AND deleted_at IS NULL AND created_at >= :start AND created_at < :end
       GROUP BY owner_id
    ), touches AS (
      SELECT owner_id, count(*) AS n FROM interactions
       WHERE tenant_id = :tenant AND deleted_at IS NULL AND occurred_at >= :start AND occurred_at < :end
       GROUP BY owner_id
    )
    SELECT u.id AS owner_id, u.team_id,
           coalesce(w.n, 0) AS won_count, coalesce(w.amount, 0) AS won_amount, coalesce(l.n, 0) AS lost_count,
           coalesce(op.amount, 0) AS open_amount, coalesce(op.weighted, 0) AS weighted,
           coalesce(ld.created, 0) AS leads_created, coalesce(ld.converted, 0) AS leads_converted,
           coalesce(t.n, 0) AS interactions
      FROM users u
      LEFT JOIN closed w ON w.owner_id = u.id AND w.kind = 'WON'
      LEFT JOIN closed l ON l.owner_id = u.id AND l.kind = 'LOST'
      LEFT JOIN open op ON op.owner_id = u.id
      LEFT JOIN leads ld ON ld.owner_id = u.id
      LEFT JOIN touches t ON t.owner_id = u.id
     WHERE u.tenant_id = :tenant
       AND (w.n IS NOT NULL OR l.n IS NOT NULL OR op.amount IS NOT NULL OR ld.created IS NOT NULL OR t.n IS NOT NULL)
     ORDER BY u.id
    """
)

FUNNEL_SQL = text(
    """
    SELECT s.id,
           count(o.id) AS count,
           coalesce(sum(o.amount) FILTER (WHERE o.currency = :currency), 0) AS amount,
           coalesce(sum(o.amount * o.probability / 100.0) FILTER (WHERE o.currency = :currency), 0) AS weighted,
           (SELECT count(DISTINCT h.opportunity_id)
              FROM opportunity_stage_changes h
              JOIN opportunities x ON x.tenant_id = h.tenant_id AND x.id = h.opportunity_id
             WHERE h.tenant_id = :tenant AND h.to_stage_id = s.id AND x.deleted_at IS NULL
               AND x.created_at >= :start AND x.created_at < :end) AS entered
      FROM pipeline_stages s
      LEFT JOIN opportunities o ON o.tenant_id = s.tenant_id AND o.stage_id = s.id AND o.deleted_at IS NULL
                               AND o.created_at >= :start AND o.created_at < :end
     WHERE s.tenant_id = :tenant AND s.pipeline_id = :pipeline AND s.deleted_at IS NULL
     GROUP BY s.id, s.position
     ORDER BY s.position, s.id
    """
)


def _period(start: dt.datetime, end: dt.datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise BadInput("`from` and `to` need time zones")
    if end <= start:
        raise BadInput("`to` must be after `from`")
    if end - start > MAX_PERIOD:
        raise BadInput("the period may be at most about ten years")


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@lru_cache(maxsize=1)
def _types(user_cls: Any, team_cls: Any, pipeline_cls: Any, stage_cls: Any) -> tuple[Any, Any, Any]:
    @strawberry.type(name="SalesPerformanceRow", description="One owner's (or team's) results in the period.")
    class SalesPerformanceRow:
        owner_id: strawberry.Private[uuid.UUID | None]
        team_id: strawberry.Private[uuid.UUID | None]
        currency: str = strawberry.field(description="Currency of the money figures (the tenant's).")
        won_amount: decimal.Decimal = strawberry.field(description="Value of deals won in the period.")
        won_count: int = strawberry.field(description="Deals won in the period.")
        lost_count: int = strawberry.field(description="Deals lost in the period.")
        win_rate: float | None = strawberry.field(description="won / (won + lost); null without closed deals.")
        open_pipeline_amount: decimal.Decimal = strawberry.field(
            description="Open deals expected to close in the period."
        )
        weighted_forecast: decimal.Decimal = strawberry.field(description="Open amount x probability.")
        leads_created: int = strawberry.field(description="Leads created in the period.")
        leads_converted: int = strawberry.field(description="Of those, converted.")
        lead_conversion_rate: float | None = strawberry.field(description="converted / created.")
        interaction_count: int = strawberry.field(description="Interactions in the period.")

        @strawberry.field(description="The owner (when grouped by OWNER).")
        async def owner(self, info: Info) -> user_cls | None:
            return None if self.owner_id is None else await info.context.loaders.by_id(USER).load(self.owner_id)

        @strawberry.field(description="The team (when grouped by TEAM; null for users without a team).")
        async def team(self, info: Info) -> team_cls | None:
            return None if self.team_id is None else await info.context.loaders.by_id(TEAM).load(self.team_id)

    @strawberry.type(name="FunnelStage", description="One stage of a pipeline funnel.")
    class FunnelStage:
        stage_id: strawberry.Private[uuid.UUID]
        count: int = strawberry.field(description="Deals (created in the period) now in this stage.")
        amount: decimal.Decimal = strawberry.field(description="Their value (tenant currency).")
        weighted_amount: decimal.Decimal = strawberry.field(description="Their value x probability.")
        entered_count: int = strawberry.field(description="Deals (created in the period) that ever entered it.")

        @strawberry.field(description="The stage.")
        async def stage(self, info: Info) -> stage_cls:
            return await info.context.loaders.by_id(PIPELINE_STAGE).load(self.stage_id)

    @strawberry.type(name="PipelineFunnel", description="A pipeline's deals by stage.")
    class PipelineFunnel:
        pipeline_id: strawberry.Private[uuid.UUID]
        currency: str = strawberry.field(description="Currency of the amounts.")
        stages: list[FunnelStage] = strawberry.field(description="The stages, in order.")

        @strawberry.field(description="The pipeline.")
        async def pipeline(self, info: Info) -> pipeline_cls:
            return await info.context.loaders.by_id(PIPELINE).load(self.pipeline_id)

    return SalesPerformanceRow, FunnelStage, PipelineFunnel


def _money(value: Any) -> decimal.Decimal:
    return decimal.Decimal(value).quantize(ZERO, rounding=decimal.ROUND_HALF_UP)


def _group(rows: list[Any], by_team: bool) -> list[dict[str, Any]]:
    grouped: dict[Any, dict[str, Any]] = {}
    for row in rows:
        key = row.team_id if by_team else row.owner_id
        if by_team and key is None:
            continue  # users without a team have no team row
        into = grouped.setdefault(
            key,
            {
                "owner_id": None if by_team else key,
                "team_id": key if by_team else row.team_id,
                "won_count": 0,
                "won_amount": ZERO,
                "lost_count": 0,
                "open_amount": ZERO,
                "weighted": ZERO,
                "leads_created": 0,
                "leads_converted": 0,
                "interactions": 0,
            },
        )
        for name in ("won_count", "lost_count", "leads_created", "leads_converted", "interactions"):
            into[name] += getattr(row, name)
        for name in ("won_amount", "open_amount", "weighted"):
            into[name] += decimal.Decimal(getattr(row, name))
    return list(grouped.values())


def query_fields(objects: dict[str, Any]) -> dict[str, RootField]:
    row_type, stage_type, funnel_type = _types(
        objects["User"], objects["Team"], objects["Pipeline"], objects["PipelineStage"]
    )

    async def sales_performance(
        info: Info,
        from_: Annotated[dt.datetime, strawberry.argument(name="from", description="Start (inclusive).")],
        to: Annotated[dt.datetime, strawberry.argument(description="End (exclusive).")],
        group_by: Annotated[
            PerformanceGrouping, strawberry.argument(description="OWNER or TEAM.")
        ] = PerformanceGrouping.OWNER,
    ) -> list[row_type]:
        _period(from_, to)
        ctx = info.context
        rows = (
            await ctx.conn.execute(
                PERFORMANCE_SQL, {"tenant": ctx.tenant_id, "currency": ctx.settings.currency, "start": from_, "end": to}
            )
        ).all()
        return [
            row_type(
                owner_id=g["owner_id"],
                team_id=g["team_id"],
                currency=ctx.settings.currency,
                won_amount=_money(g["won_amount"]),
                won_count=g["won_count"],
                lost_count=g["lost_count"],
                win_rate=_rate(g["won_count"], g["won_count"] + g["lost_count"]),
                open_pipeline_amount=_money(g["open_amount"]),
                weighted_forecast=_money(g["weighted"]),
                leads_created=g["leads_created"],
                leads_converted=g["leads_converted"],
                lead_conversion_rate=_rate(g["leads_converted"], g["leads_created"]),
                interaction_count=g["interactions"],
            )
            for g in _group(list(rows), group_by is PerformanceGrouping.TEAM)
        ]

    async def pipeline_funnel(
        info: Info,
        pipeline_id: Annotated[strawberry.ID, strawberry.argument(description="The pipeline.")],
        from_: Annotated[dt.datetime, strawberry.argument(name="from", description="Deals created from (inclusive).")],
        to: Annotated[dt.datetime, strawberry.argument(description="Deals created before (exclusive).")],
    ) -> funnel_type | None:
        _period(from_, to)
        ctx = info.context
        decoded = from_global_id(pipeline_id)
        if decoded is None or decoded[0] != "Pipeline" or await ctx.loaders.by_id(PIPELINE).load(decoded[1]) is None:
            return None
        rows = await ctx.conn.execute(
            FUNNEL_SQL,
            {
                "tenant": ctx.tenant_id,
                "pipeline": decoded[1],
                "start": from_,
                "end": to,
                "currency": ctx.settings.currency,
            },
        )
        stages = [
            stage_type(
                stage_id=r.id,
                count=r.count,
                amount=_money(r.amount),
                weighted_amount=_money(r.weighted),
                entered_count=r.entered,
            )
            for r in rows
        ]
        return funnel_type(pipeline_id=decoded[1], currency=ctx.settings.currency, stages=stages)

    return {
        "sales_performance": RootField(
            sales_performance,
            "Results per owner or team for a period (won, lost, pipeline, forecast, lead "
            "conversion, interactions). Definitions: see the README.",
        ),
        "pipeline_funnel": RootField(
            pipeline_funnel,
            "A pipeline's deals (created in the period) by stage: now in each stage, and ever "
            "entered; null if there is no such pipeline.",
        ),
    }
