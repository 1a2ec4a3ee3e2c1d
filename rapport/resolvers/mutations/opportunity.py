"""Rules for opportunities: pipeline and stage defaults, probability from the stage, the stage history."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import insert, select

from rapport.context import RequestContext
from rapport.errors import UserErrorCode
from rapport.ids import new_id
from rapport.resolvers.filtering import base_condition
from rapport.resolvers.mutations.common import belongs_to, default_currency, effective
from rapport.resolvers.mutations.crud import RULES, NoRules, Problems
from rapport.schema.entities.pipeline import PIPELINE, PIPELINE_STAGE, STAGE_CHANGE


async def default_pipeline(ctx: RequestContext) -> uuid.UUID | None:
    pipelines = PIPELINE.table
    found = await ctx.conn.execute(
        select(pipelines.c.id).where(base_condition(PIPELINE, ctx.tenant_id), pipelines.c.is_default)
    )
    return found.scalar_one_or_none()


async def first_stage(ctx: RequestContext, pipeline_id: uuid.UUID) -> Any:
    stages = PIPELINE_STAGE.table
    found = await ctx.conn.execute(
        select(*stages.columns)
        .where(base_condition(PIPELINE_STAGE, ctx.tenant_id), stages.c.pipeline_id == pipeline_id)
        .order_by(stages.c.position, stages.c.id)
        .limit(1)
    )
    row = found.first()
    return None if row is None else await ctx.loaders.by_id(PIPELINE_STAGE).load(row.id)


async def record_stage_change(
    ctx: RequestContext, opportunity_id: uuid.UUID, from_stage: uuid.UUID | None, to_stage: uuid.UUID
) -> None:
    await ctx.conn.execute(
        insert(STAGE_CHANGE.table).values(
            tenant_id=ctx.tenant_id,
            id=new_id(),
            opportunity_id=opportunity_id,
            from_stage_id=from_stage,
            to_stage_id=to_stage,
            changed_by_id=ctx.actor.user_id,
        )
    )


def apply_stage(values: dict[str, Any], stage: Any, *, keep_probability: bool) -> None:
    """Entering a stage: its probability (unless the caller set one) and, for WON/LOST, the close time."""
    values["stage_id"] = stage.id
    if not keep_probability:
        values["probability"] = stage.probability
    values["closed_at"] = dt.datetime.now(dt.UTC) if stage.kind != "OPEN" else None


class OpportunityRules(NoRules):
    async def check(
        self, ctx: RequestContext, values: dict[str, Any], current: Any, problems: Problems, extras: dict[str, Any]
    ) -> None:
        default_currency(ctx, values, current)
        if current is not None:
            for column, name in (("stage_id", "stageId"), ("pipeline_id", "pipelineId")):
                if column in values and values[column] != getattr(current, column):
                    problems.add(
                        ["input", name],
                        UserErrorCode.INVALID_STATE,
                        "use opportunityMoveStage to move an opportunity between stages",
                    )
            if "customer_id" in values and values["customer_id"] != current.customer_id:
                problems.add(
                    ["input", "customerId"], UserErrorCode.INVALID_STATE, "an opportunity's customer cannot change"
                )
        else:
            await self._place(ctx, values, problems)
        await belongs_to(
            ctx,
            problems,
            child="Contact",
            child_id=values.get("contact_id"),
            column="customer_id",
            parent_id=effective(values, current, "customer_id"),
            path=["input", "contactId"],
            what="the contact works for another customer",
        )

    async def _place(self, ctx: RequestContext, values: dict[str, Any], problems: Problems) -> None:
        """A new opportunity's pipeline and stage: as given, or the default pipeline's first stage."""
        if any(p.field in (["input", "pipelineId"], ["input", "stageId"]) for p in problems.items):
            return
        stage = None
        if "stage_id" in values:
            stage = await ctx.loaders.by_id(PIPELINE_STAGE).load(values["stage_id"])
            if "pipeline_id" in values and values["pipeline_id"] != stage.pipeline_id:
                problems.add(["input", "stageId"], UserErrorCode.INVALID, "the stage belongs to another pipeline")
                return
            values["pipeline_id"] = stage.pipeline_id
        else:
            pipeline_id = values.get("pipeline_id") or await default_pipeline(ctx)
            if pipeline_id is None:
                problems.add(["input", "pipelineId"], UserErrorCode.REQUIRED, "the tenant has no default pipeline")
                return
            stage = await first_stage(ctx, pipeline_id)
            if stage is None:
                problems.add(["input", "pipelineId"], UserErrorCode.INVALID_STATE, "the pipeline has no stages")
                return
            values["pipeline_id"] = pipeline_id
        apply_stage(values, stage, keep_probability="probability" in values)

    async def after_write(self, ctx: RequestContext, record: Any, current: Any, extras: dict[str, Any]) -> None:
        if current is None:
            await record_stage_change(ctx, record.id, None, record.stage_id)


RULES["Opportunity"] = OpportunityRules()
