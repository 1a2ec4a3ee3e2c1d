"""GraphQL for the figures: ``Customer.figures``, ``Customer.points``, ``Customer.rfm``,
``Customer.lifecycleStage`` and the one-round-trip ``customerSummary(id:)`` for mobile apps."""
# Payload and row types are built at run time around generated classes; mypy cannot follow them.
# mypy: disable-error-code="valid-type,no-any-return,untyped-decorator"

import datetime as dt
import decimal
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Annotated, Any

import strawberry

from rapport.context import RequestContext
from rapport.ids import from_global_id, to_global_id
from rapport.resolvers import figures
from rapport.schema.entities.membership import MEMBERSHIP_TIER
from rapport.schema.enums import LifecycleStage
from rapport.schema.roots import RootField

Info = strawberry.Info[RequestContext, None]


@strawberry.type(description="A customer's points and stored balance (sums of the ledger).")
class MemberBalances:
    points: decimal.Decimal = strawberry.field(description="Points available now.")
    balance: decimal.Decimal = strawberry.field(description="Stored balance available now, in the tenant currency.")
    points_earned: decimal.Decimal = strawberry.field(description="Points ever earned (drives POINTS tiers).")


@strawberry.type(
    description="Recency, frequency and monetary scores, 1 (lowest fifth) to 5 (best fifth), within "
    "the tenant's customers with revenue orders."
)
class RfmScores:
    recency: int = strawberry.field(description="How recently the customer last ordered.")
    frequency: int = strawberry.field(description="How many revenue orders.")
    monetary: int = strawberry.field(description="How much revenue, in the tenant currency.")


@lru_cache(maxsize=1)
def figures_type(tier_cls: Any) -> Any:
    @strawberry.type(
        name="CustomerFigures",
        description="Figures derived from a customer's orders, interactions, "
        "deals, cases and ledger; computed when asked, so always current. Rules: see the README.",
    )
    class CustomerFigures:
        currency: str = strawberry.field(description="Currency of the money figures (the tenant's).")
        lifetime_value: decimal.Decimal = strawberry.field(description="Revenue from revenue orders.")
        order_count: int = strawberry.field(description="Revenue orders (PAID, SHIPPED, DELIVERED, COMPLETED).")
        average_order_value: decimal.Decimal | None = strawberry.field(description="Lifetime value per order.")
        first_order_at: dt.datetime | None = strawberry.field(description="First revenue order.")
        last_order_at: dt.datetime | None = strawberry.field(description="Latest revenue order.")
        purchase_frequency: decimal.Decimal | None = strawberry.field(
            description="Revenue orders per 30 days since the first one."
        )
        last_interaction_at: dt.datetime | None = strawberry.field(description="Latest interaction.")
        open_opportunities: int = strawberry.field(description="Deals in an OPEN stage.")
        open_cases: int = strawberry.field(description="Service cases not yet resolved or closed.")
        lifecycle_stage: LifecycleStage = strawberry.field(description="Derived lifecycle stage.")
        points: decimal.Decimal = strawberry.field(description="Points available now.")
        balance: decimal.Decimal = strawberry.field(description="Stored balance available now.")

        @strawberry.field(description="The highest tier the customer reached.")
        async def tier(self, root: strawberry.Parent[Any], info: Info) -> tier_cls | None:
            if root.tier_id is None:
                return None
            return await info.context.loaders.by_id(MEMBERSHIP_TIER).load(root.tier_id)

    return CustomerFigures


async def _figures(info: Info, customer_id: Any) -> figures.CustomerFiguresValue:
    loader = info.context.loaders.batch("figures", lambda ids: figures.load_figures(info.context, ids))
    return await loader.load(customer_id)


def figures_field(objects: Mapping[str, Any]) -> Callable[..., Any]:
    output = figures_type(objects["MembershipTier"])

    async def resolve(root: strawberry.Parent[Any], info: Info) -> output:
        return await _figures(info, root.id)

    return resolve


def lifecycle_field(objects: Mapping[str, Any]) -> Callable[..., Any]:
    async def resolve(root: strawberry.Parent[Any], info: Info) -> LifecycleStage:
        return (await _figures(info, root.id)).lifecycle_stage  # type: ignore[return-value]

    return resolve


def points_field(objects: Mapping[str, Any]) -> Callable[..., Any]:
    async def resolve(root: strawberry.Parent[Any], info: Info) -> MemberBalances:
        value = await _figures(info, root.id)
        return MemberBalances(points=value.points, balance=value.balance, points_earned=value.points_earned)

    return resolve


def rfm_field(objects: Mapping[str, Any]) -> Callable[..., Any]:
    async def resolve(root: strawberry.Parent[Any], info: Info) -> RfmScores | None:
        loader = info.context.loaders.batch("rfm", lambda ids: figures.load_rfm(info.context, ids))
        value = await loader.load(root.id)
        return (
            None
            if value is None
            else RfmScores(recency=value.recency, frequency=value.frequency, monetary=value.monetary)
        )

    return resolve


@strawberry.type(description="What a mobile app shows about a customer, in one small answer.")
class CustomerSummary:
    id: strawberry.ID = strawberry.field(description="The customer's global ID.")
    name: str = strawberry.field(description="The customer's name.")
    tier: str | None = strawberry.field(description="Name of the membership tier reached.")
    lifecycle_stage: LifecycleStage = strawberry.field(description="Derived lifecycle stage.")
    currency: str = strawberry.field(description="Currency of the lifetime value.")
    lifetime_value: decimal.Decimal = strawberry.field(description="Revenue from revenue orders.")
    order_count: int = strawberry.field(description="Revenue orders.")
    last_order_at: dt.datetime | None = strawberry.field(description="Latest revenue order.")
    last_interaction_at: dt.datetime | None = strawberry.field(description="Latest interaction.")
    open_opportunities: int = strawberry.field(description="Deals in an OPEN stage.")
    open_cases: int = strawberry.field(description="Unresolved service cases.")
    points: decimal.Decimal = strawberry.field(description="Points available now.")
    balance: decimal.Decimal = strawberry.field(description="Stored balance available now.")


async def customer_summary(
    info: Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="The customer's global ID.")],
) -> CustomerSummary | None:
    """A customer's key figures in one statement (after authentication); null if there is no such customer."""
    decoded = from_global_id(id)
    if decoded is None or decoded[0] != "Customer":
        return None
    found = await figures.load_summary(info.context, decoded[1])
    if found is None:
        return None
    name, value = found
    return CustomerSummary(
        id=strawberry.ID(to_global_id("Customer", value.customer_id)),
        name=name,
        tier=value.tier_name,
        lifecycle_stage=LifecycleStage(value.lifecycle_stage),
        currency=value.currency,
        lifetime_value=value.lifetime_value,
        order_count=value.order_count,
        last_order_at=value.last_order_at,
        last_interaction_at=value.last_interaction_at,
        open_opportunities=value.open_opportunities,
        open_cases=value.open_cases,
        points=value.points,
        balance=value.balance,
    )


def query_fields(objects: dict[str, Any]) -> dict[str, RootField]:
    return {
        "customer_summary": RootField(
            customer_summary,
            "A customer's key figures in one small answer (one statement after authentication); null if there "
            "is no such customer.",
        )
    }
