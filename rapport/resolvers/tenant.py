"""The tenant itself: ``tenant`` (name, slug, settings) and ``tenantSettingsUpdate`` (ADMIN)."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import select, update

from rapport.context import RequestContext
from rapport.customfields.types.base import FieldValueError
from rapport.errors import UserErrorCode
from rapport.ids import to_global_id
from rapport.models import Tenant, table_of
from rapport.resolvers.mutations.crud import Problems
from rapport.schema.common import UserError
from rapport.schema.roots import RootField
from rapport.tenant_settings import LifecycleRules, TenantSettings
from rapport.validation import currency_code, text

Info = strawberry.Info[RequestContext, None]
TENANTS = table_of(Tenant)
MAX_DAYS = 3650


@strawberry.type(description="Day thresholds of the derived lifecycle stage.")
class LifecycleThresholds:
    new_days: int = strawberry.field(description="NEW while the first order is at most this many days old.")
    active_days: int = strawberry.field(description="ACTIVE while the last order is at most this many days old.")
    churn_days: int = strawberry.field(description="DORMANT up to this many days; CHURNED after.")


@strawberry.type(name="Tenant", description="The business this token belongs to.")
class TenantView:
    id: strawberry.ID = strawberry.field(description="The tenant's global ID.")
    name: str = strawberry.field(description="The business's name.")
    slug: str = strawberry.field(description="Its short handle.")
    currency: str = strawberry.field(description="Currency of derived money figures (ISO 4217).")
    lifecycle: LifecycleThresholds = strawberry.field(description="Lifecycle stage thresholds.")
    lead_sources: list[str] = strawberry.field(description="Allowed lead source channels.")


@strawberry.input(description="Settings to change; omitted ones stay.")
class TenantSettingsInput:
    currency: str | None = strawberry.field(default=None, description="ISO 4217 code, e.g. CNY.")
    new_days: int | None = strawberry.field(default=None, description="Lifecycle NEW threshold in days.")
    active_days: int | None = strawberry.field(default=None, description="Lifecycle ACTIVE threshold in days.")
    churn_days: int | None = strawberry.field(default=None, description="Lifecycle DORMANT/CHURNED threshold.")
    lead_sources: list[str] | None = strawberry.field(default=None, description="Allowed lead sources (1 to 50).")


@strawberry.type(description="Result of tenantSettingsUpdate.")
class TenantSettingsUpdatePayload:
    tenant: TenantView | None = strawberry.field(description="The tenant after the change.")
    user_errors: list[UserError] = strawberry.field(description="Problems; empty on success.")


async def _view(ctx: RequestContext, settings: TenantSettings) -> TenantView:
    row = (await ctx.conn.execute(select(TENANTS.c.name).where(TENANTS.c.id == ctx.tenant_id))).one()
    return TenantView(
        id=strawberry.ID(to_global_id("Tenant", ctx.tenant_id)),
        name=row.name,
        slug=ctx.tenant_slug,
        currency=settings.currency,
        lifecycle=LifecycleThresholds(
            new_days=settings.lifecycle.new_days,
            active_days=settings.lifecycle.active_days,
            churn_days=settings.lifecycle.churn_days,
        ),
        lead_sources=list(settings.lead_sources),
    )


async def tenant(info: Info) -> TenantView:
    """The tenant of the token."""
    return await _view(info.context, info.context.settings)


def _changed(current: TenantSettings, data: TenantSettingsInput, problems: Problems) -> TenantSettings:
    currency = current.currency
    if data.currency is not None:
        try:
            currency = currency_code(data.currency)
        except FieldValueError as exc:
            problems.add(["input", "currency"], exc.code, exc.message)
    days = {
        "new_days": data.new_days if data.new_days is not None else current.lifecycle.new_days,
        "active_days": data.active_days if data.active_days is not None else current.lifecycle.active_days,
        "churn_days": data.churn_days if data.churn_days is not None else current.lifecycle.churn_days,
    }
    for name, value in days.items():
        if not 1 <= value <= MAX_DAYS:
            problems.add(["input", strawberry_name(name)], UserErrorCode.INVALID, f"between 1 and {MAX_DAYS} days")
    if not days["new_days"] <= days["active_days"] <= days["churn_days"]:
        problems.add(["input", "activeDays"], UserErrorCode.INVALID, "need newDays ≤ activeDays ≤ churnDays")
    sources = current.lead_sources
    if data.lead_sources is not None:
        cleaned: list[str] = []
        for raw in data.lead_sources:
            try:
                source = text(50)(raw)
            except FieldValueError as exc:
                problems.add(["input", "leadSources"], exc.code, exc.message)
                continue
            if source and source not in cleaned:
                cleaned.append(source)
        if not 1 <= len(cleaned) <= 50:
            problems.add(["input", "leadSources"], UserErrorCode.INVALID, "give 1 to 50 sources")
        sources = tuple(cleaned)
    return TenantSettings(currency=currency, lifecycle=LifecycleRules(**days), lead_sources=sources)


def strawberry_name(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.title() for w in rest)


async def tenant_settings_update(info: Info, input: TenantSettingsInput) -> TenantSettingsUpdatePayload:
    ctx = info.context
    problems = Problems()
    # Start from the stored settings under a row lock, not from those read at authentication: two concurrent
    # updates of different settings then both land instead of the later one undoing the earlier.
    stored = (
        await ctx.conn.execute(select(TENANTS.c.settings).where(TENANTS.c.id == ctx.tenant_id).with_for_update())
    ).scalar_one()
    settings = _changed(TenantSettings.from_json(stored), input, problems)
    if problems:
        return TenantSettingsUpdatePayload(tenant=None, user_errors=problems.items)
    await ctx.conn.execute(update(TENANTS).where(TENANTS.c.id == ctx.tenant_id).values(settings=settings.to_json()))
    ctx.settings = settings
    ctx.loaders.clear()
    return TenantSettingsUpdatePayload(tenant=await _view(ctx, settings), user_errors=[])


def query_fields(objects: dict[str, Any]) -> dict[str, RootField]:
    return {"tenant": RootField(tenant, "The tenant of the token: name, currency and settings.")}


def mutation_fields(objects: dict[str, Any]) -> dict[str, RootField]:
    return {
        "tenant_settings_update": RootField(
            tenant_settings_update, "Change the tenant's currency, lifecycle thresholds or lead sources.", role="ADMIN"
        )
    }
