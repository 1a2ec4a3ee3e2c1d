"""Rules for entities with small needs: feedback, campaigns and members, products, pipelines, users."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import exists, func, select, update

from rapport.context import ROLE_RANK, RequestContext
from rapport.errors import UserErrorCode
from rapport.resolvers.filtering import base_condition
from rapport.resolvers.mutations.common import belongs_to, default_currency, effective
from rapport.resolvers.mutations.crud import RULES, NoRules, Problems, Refusal
from rapport.schema.entities.opportunity import OPPORTUNITY
from rapport.schema.entities.pipeline import PIPELINE
from rapport.schema.entities.user import USER


class CurrencyRules(NoRules):
    async def check(
        self, ctx: RequestContext, values: dict[str, Any], current: Any, problems: Problems, extras: dict[str, Any]
    ) -> None:
        default_currency(ctx, values, current)


class CampaignRules(CurrencyRules):
    async def check(
        self, ctx: RequestContext, values: dict[str, Any], current: Any, problems: Problems, extras: dict[str, Any]
    ) -> None:
        await super().check(ctx, values, current, problems, extras)
        starts, ends = effective(values, current, "starts_on"), effective(values, current, "ends_on")
        if starts is not None and ends is not None and ends < starts:
            problems.add(["input", "endsOn"], UserErrorCode.INVALID, "the campaign ends before it starts")


class CampaignMemberRules(NoRules):
    async def check(
        self, ctx: RequestContext, values: dict[str, Any], current: Any, problems: Problems, extras: dict[str, Any]
    ) -> None:
        customer, lead = effective(values, current, "customer_id"), effective(values, current, "lead_id")
        if (customer is None) == (lead is None):
            problems.add(["input", "customerId"], UserErrorCode.INVALID, "give exactly one of customerId or leadId")
        if current is not None and "campaign_id" in values and values["campaign_id"] != current.campaign_id:
            problems.add(["input", "campaignId"], UserErrorCode.INVALID_STATE, "a member cannot move between campaigns")
        if values.get("status") == "RESPONDED" and effective(values, current, "responded_at") is None:
            values["responded_at"] = dt.datetime.now(dt.UTC)


class FeedbackRules(NoRules):
    async def check(
        self, ctx: RequestContext, values: dict[str, Any], current: Any, problems: Problems, extras: dict[str, Any]
    ) -> None:
        # A complaint is handled from OPEN on, also when feedback becomes one later.
        becomes_complaint = values.get("kind") == "COMPLAINT" and (current is None or current.kind != "COMPLAINT")
        if becomes_complaint and effective(values, current, "status") is None:
            values["status"] = "OPEN"
        await belongs_to(
            ctx,
            problems,
            child="Order",
            child_id=values.get("order_id"),
            column="customer_id",
            parent_id=effective(values, current, "customer_id"),
            path=["input", "orderId"],
            what="the order is another customer's",
        )


class PipelineRules(NoRules):
    rewrites = True  # becoming the default is written after the row itself; read the pipeline back

    async def after_delete(self, ctx: RequestContext, record: Any) -> None:
        if record.is_default:
            problems = Problems()
            problems.add(["id"], UserErrorCode.INVALID_STATE, "make another pipeline the default first")
            raise Refusal(problems)
        await _refuse_if_used(ctx, "pipeline_id", record, "pipeline")

    async def check(
        self, ctx: RequestContext, values: dict[str, Any], current: Any, problems: Problems, extras: dict[str, Any]
    ) -> None:
        if current is not None and current.is_default and values.get("is_default") is False:
            problems.add(
                ["input", "isDefault"], UserErrorCode.INVALID_STATE, "make another pipeline the default instead"
            )
        if values.get("is_default") and (current is None or not current.is_default):
            # Taking over the default happens in the write's savepoint (after_write), so a refused or failed
            # write leaves the old default in place; the row is written as not default first, because the
            # partial unique index allows one default at a time.
            values["is_default"] = False
            extras["make_default"] = True

    async def after_write(self, ctx: RequestContext, record: Any, current: Any, extras: dict[str, Any]) -> None:
        if not extras.get("make_default"):
            return
        pipelines = PIPELINE.table
        await ctx.conn.execute(
            update(pipelines)
            .where(base_condition(PIPELINE, ctx.tenant_id), pipelines.c.is_default, pipelines.c.id != record.id)
            .values(is_default=False, version=pipelines.c.version + 1, updated_at=func.now())
        )
        await ctx.conn.execute(
            update(pipelines)
            .where(base_condition(PIPELINE, ctx.tenant_id), pipelines.c.id == record.id)
            .values(is_default=True)
        )


async def _refuse_if_used(ctx: RequestContext, column: str, record: Any, what: str) -> None:
    opportunities = OPPORTUNITY.table
    used = await ctx.conn.execute(
        select(exists().where(base_condition(OPPORTUNITY, ctx.tenant_id), opportunities.c[column] == record.id))
    )
    if used.scalar_one():
        problems = Problems()
        problems.add(["id"], UserErrorCode.INVALID_STATE, f"the {what} still has opportunities; move them first")
        raise Refusal(problems)


class PipelineStageRules(NoRules):
    async def after_delete(self, ctx: RequestContext, record: Any) -> None:
        await _refuse_if_used(ctx, "stage_id", record, "stage")

    async def check(
        self, ctx: RequestContext, values: dict[str, Any], current: Any, problems: Problems, extras: dict[str, Any]
    ) -> None:
        if current is not None and "pipeline_id" in values and values["pipeline_id"] != current.pipeline_id:
            problems.add(
                ["input", "pipelineId"], UserErrorCode.INVALID_STATE, "a stage cannot move to another pipeline"
            )


class UserRules(NoRules):
    async def check(
        self, ctx: RequestContext, values: dict[str, Any], current: Any, problems: Problems, extras: dict[str, Any]
    ) -> None:
        role = values.get("role")
        if role is not None and ROLE_RANK[role] > ROLE_RANK[ctx.actor.role]:
            problems.add(["input", "role"], UserErrorCode.FORBIDDEN, f"you cannot grant {role}")
        if current is not None and current.role == "OWNER" and ctx.actor.role != "OWNER" and values:
            problems.add(["id"], UserErrorCode.FORBIDDEN, "only an OWNER may change an owner")
        stops_owning = role not in (None, "OWNER") or values.get("active") is False
        if current is not None and current.role == "OWNER" and current.active and stops_owning and not problems:
            await self._keep_an_owner(ctx, current, problems, "role" if role not in (None, "OWNER") else "active")

    async def _keep_an_owner(self, ctx: RequestContext, current: Any, problems: Problems, field: str) -> None:
        """A tenant keeps at least one active OWNER. The active owners are locked, so two owners demoting each
        other at once cannot both succeed."""
        users = USER.table
        owners = (
            (
                await ctx.conn.execute(
                    select(users.c.id)
                    .where(users.c.tenant_id == ctx.tenant_id, users.c.role == "OWNER", users.c.active)
                    .with_for_update()
                )
            )
            .scalars()
            .all()
        )
        if not set(owners) - {current.id}:
            problems.add(
                ["input", field],
                UserErrorCode.INVALID_STATE,
                "the tenant's last active owner stays one; make another user OWNER first",
            )


class TeamRules(NoRules):
    async def after_delete(self, ctx: RequestContext, record: Any) -> None:
        users = USER.table
        await ctx.conn.execute(
            update(users)
            .where(users.c.tenant_id == ctx.tenant_id, users.c.team_id == record.id)
            .values(team_id=None, version=users.c.version + 1)
        )


RULES.update(
    Team=TeamRules(),
    Product=CurrencyRules(),
    Campaign=CampaignRules(),
    CampaignMember=CampaignMemberRules(),
    Feedback=FeedbackRules(),
    Pipeline=PipelineRules(),
    PipelineStage=PipelineStageRules(),
    User=UserRules(),
)
