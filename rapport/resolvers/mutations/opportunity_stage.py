"""opportunityMoveStage: move a deal to another stage of its pipeline, recording the change."""
# Payload and row types are built at run time around generated classes; mypy cannot follow them.
# mypy: disable-error-code="valid-type,no-any-return,untyped-decorator"

from functools import lru_cache
from typing import Annotated, Any

import strawberry
from sqlalchemy import func, update

from rapport.context import RequestContext
from rapport.customfields.types.base import FieldValueError
from rapport.errors import UserErrorCode
from rapport.ids import from_global_id
from rapport.resolvers.filtering import base_condition
from rapport.resolvers.mutations import crud
from rapport.resolvers.mutations.crud import Problems
from rapport.resolvers.mutations.opportunity import apply_stage, record_stage_change
from rapport.schema.common import UserError
from rapport.schema.entities.opportunity import OPPORTUNITY
from rapport.schema.entities.pipeline import PIPELINE_STAGE
from rapport.schema.roots import RootField
from rapport.validation import text

Info = strawberry.Info[RequestContext, None]


async def move(
    ctx: RequestContext, opportunity_id: str, stage_id: str, expected_version: int, lost_reason: str | None
) -> tuple[Any, list[UserError]]:
    problems = Problems()
    current = await crud.load_current(ctx, OPPORTUNITY, opportunity_id, problems)
    decoded = from_global_id(stage_id)
    stage = None
    if decoded is not None and decoded[0] == "PipelineStage":
        stage = await ctx.loaders.by_id(PIPELINE_STAGE).load(decoded[1])
    if stage is None:
        problems.add(["stageId"], UserErrorCode.NOT_FOUND, "no such PipelineStage in this tenant")
    if current is None or stage is None:
        return None, problems.items
    if current.version != expected_version:
        crud.conflict(problems, current.version)
        return None, problems.items
    if stage.pipeline_id != current.pipeline_id:
        problems.add(["stageId"], UserErrorCode.INVALID, "the stage belongs to another pipeline")
    reason = None
    try:
        reason = text(500)(lost_reason) if lost_reason is not None else None
    except FieldValueError as exc:
        problems.add(["lostReason"], exc.code, exc.message)
    if reason and stage.kind != "LOST":
        problems.add(["lostReason"], UserErrorCode.INVALID, "a lost reason goes with a LOST stage")
    if problems:
        return None, problems.items
    if stage.id == current.stage_id:
        return current, []
    values: dict[str, Any] = {}
    apply_stage(values, stage, keep_probability=False)
    # A lost reason belongs to a lost deal: a new one replaces the old, and leaving LOST clears it.
    if stage.kind != "LOST":
        values["lost_reason"] = None
    elif reason is not None:
        values["lost_reason"] = reason
    table = OPPORTUNITY.table
    async with ctx.conn.begin_nested():
        row = (
            await ctx.conn.execute(
                update(table)
                .where(
                    base_condition(OPPORTUNITY, ctx.tenant_id),
                    table.c.id == current.id,
                    table.c.version == current.version,
                )
                .values(**values, version=table.c.version + 1, updated_at=func.now())
                .returning(table.c.id)
            )
        ).first()
        if row is not None:
            await record_stage_change(ctx, current.id, current.stage_id, stage.id)
    ctx.loaders.clear()
    if row is None:
        crud.conflict(problems, current.version + 1)
        return None, problems.items
    return await ctx.loaders.by_id(OPPORTUNITY).load(current.id), []


@lru_cache(maxsize=1)
def _payload(opportunity_cls: Any) -> Any:
    @strawberry.type(name="OpportunityMoveStagePayload", description="Result of opportunityMoveStage.")
    class OpportunityMoveStagePayload:
        opportunity: opportunity_cls | None = strawberry.field(description="The deal after the move.")
        user_errors: list[UserError] = strawberry.field(description="Problems; empty on success.")

    return OpportunityMoveStagePayload


def mutation_fields(objects: dict[str, Any]) -> dict[str, RootField]:
    payload = _payload(objects["Opportunity"])

    async def opportunity_move_stage(
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The opportunity.")],
        stage_id: Annotated[strawberry.ID, strawberry.argument(description="A stage of the same pipeline.")],
        expected_version: Annotated[int, strawberry.argument(description="The version you read.")],
        lost_reason: Annotated[str | None, strawberry.argument(description="Why, when moving to a LOST stage.")] = None,
    ) -> payload:
        record, errors = await move(info.context, id, stage_id, expected_version, lost_reason)
        return payload(opportunity=record, user_errors=errors)

    return {
        "opportunity_move_stage": RootField(
            opportunity_move_stage,
            "Move a deal to another stage: probability follows the stage, WON/LOST stages close it, and the change "
            "is recorded (from, to, when, who).",
            role="MEMBER",
        )
    }
