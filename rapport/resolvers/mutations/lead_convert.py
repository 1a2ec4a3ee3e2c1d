"""leadConvert: a lead becomes a customer (a company with the lead as its contact, or a person), optionally
with an opportunity, in one savepoint; converting twice is refused."""
# Payload and row types are built at run time around generated classes; mypy cannot follow them.
# mypy: disable-error-code="valid-type,no-any-return,untyped-decorator"

import datetime as dt
import decimal
from functools import lru_cache
from types import SimpleNamespace
from typing import Annotated, Any

import strawberry
from sqlalchemy import update

from rapport.context import RequestContext
from rapport.errors import UserErrorCode
from rapport.ids import to_global_id
from rapport.resolvers.filtering import base_condition
from rapport.resolvers.mutations import crud
from rapport.resolvers.mutations.crud import Problems
from rapport.schema.common import UserError
from rapport.schema.entities.contact import CONTACT
from rapport.schema.entities.customer import CUSTOMER
from rapport.schema.entities.lead import LEAD
from rapport.schema.entities.opportunity import OPPORTUNITY
from rapport.schema.entities.user import USER
from rapport.schema.roots import RootField

Info = strawberry.Info[RequestContext, None]


@strawberry.input(description="The opportunity to create when converting a lead.")
class LeadConvertOpportunityInput:
    name: str | None = strawberry.field(default=None, description="Default: the lead's company or name.")
    amount: decimal.Decimal | None = strawberry.field(default=None, description="Expected value.")
    currency: str | None = strawberry.field(default=None, description="Default: the tenant's currency.")
    pipeline_id: strawberry.ID | None = strawberry.field(default=None, description="Default: the default pipeline.")
    expected_close_date: dt.date | None = strawberry.field(default=None, description="When it should close.")


class _Failed(Exception):
    def __init__(self, errors: list[UserError], prefix: str) -> None:
        super().__init__("conversion refused")
        self.errors = [UserError(code=e.code, field=[prefix, *(e.field or [])], message=e.message) for e in errors]


async def _create(ctx: RequestContext, entity: Any, prefix: str, **fields: Any) -> Any:
    record, errors = await crud.create(
        ctx, entity, SimpleNamespace(**{k: v for k, v in fields.items() if v is not None})
    )
    if errors:
        raise _Failed(errors, prefix)
    return record


async def convert(
    ctx: RequestContext,
    lead_id: str,
    expected_version: int | None,
    with_opportunity: bool,
    opportunity: LeadConvertOpportunityInput | None,
) -> tuple[dict[str, Any], list[UserError]]:
    problems = Problems()
    lead = await crud.load_current(ctx, LEAD, lead_id, problems)
    if lead is None:
        return {}, problems.items
    if expected_version is not None and lead.version != expected_version:
        crud.conflict(problems, lead.version)
        return {}, problems.items
    if lead.status == "CONVERTED":
        problems.add(["id"], UserErrorCode.INVALID_STATE, "the lead is already converted")
        return {}, problems.items
    if lead.status == "UNQUALIFIED":
        problems.add(["id"], UserErrorCode.INVALID_STATE, "an unqualified lead cannot be converted")
        return {}, problems.items
    owner = None
    if lead.owner_id is not None:
        # An inactive owner keeps the lead but takes on nothing new: the customer and deal start unowned.
        user = await ctx.loaders.by_id(USER).load(lead.owner_id)
        owner = to_global_id("User", lead.owner_id) if user is not None and user.active else None
    made: dict[str, Any] = {}
    try:
        async with ctx.conn.begin_nested():
            company = lead.company is not None
            made["customer"] = await _create(
                ctx,
                CUSTOMER,
                "customer",
                kind="COMPANY" if company else "PERSON",
                name=lead.company if company else lead.name,
                email=None if company else lead.email,
                phone=None if company else lead.phone,
                source_channel=lead.source,
                tags=lead.tags,
                owner_id=owner,
            )
            customer_id = to_global_id("Customer", made["customer"].id)
            if company:
                made["contact"] = await _create(
                    ctx,
                    CONTACT,
                    "contact",
                    customer_id=customer_id,
                    name=lead.name,
                    title=lead.title,
                    email=lead.email,
                    phone=lead.phone,
                )
            if with_opportunity or opportunity is not None:
                spec = opportunity or LeadConvertOpportunityInput()
                made["opportunity"] = await _create(
                    ctx,
                    OPPORTUNITY,
                    "opportunity",
                    customer_id=customer_id,
                    name=spec.name or lead.company or lead.name,
                    amount=spec.amount,
                    currency=spec.currency,
                    pipeline_id=spec.pipeline_id,
                    expected_close_date=spec.expected_close_date,
                    owner_id=owner,
                    contact_id=to_global_id("Contact", made["contact"].id) if "contact" in made else None,
                )
            leads = LEAD.table
            row = (
                await ctx.conn.execute(
                    update(leads)
                    .where(base_condition(LEAD, ctx.tenant_id), leads.c.id == lead.id, leads.c.version == lead.version)
                    .values(
                        status="CONVERTED",
                        converted_at=dt.datetime.now(dt.UTC),
                        customer_id=made["customer"].id,
                        contact_id=made["contact"].id if "contact" in made else None,
                        opportunity_id=made["opportunity"].id if "opportunity" in made else None,
                        version=leads.c.version + 1,
                        updated_at=dt.datetime.now(dt.UTC),
                    )
                    .returning(leads.c.id)
                )
            ).first()
            if row is None:
                crud.conflict(problems, lead.version + 1)
                raise _Failed(problems.items, "lead")
    except _Failed as failed:
        return {}, failed.errors
    finally:
        ctx.loaders.clear()
    made["lead"] = await ctx.loaders.by_id(LEAD).load(lead.id)
    return made, []


@lru_cache(maxsize=1)
def _payload(lead_cls: Any, customer_cls: Any, contact_cls: Any, opportunity_cls: Any) -> Any:
    @strawberry.type(name="LeadConvertPayload", description="Result of leadConvert.")
    class LeadConvertPayload:
        lead: lead_cls | None = strawberry.field(description="The converted lead.")
        customer: customer_cls | None = strawberry.field(description="The customer it became.")
        contact: contact_cls | None = strawberry.field(description="The contact (when the lead had a company).")
        opportunity: opportunity_cls | None = strawberry.field(description="The opportunity, when asked for.")
        user_errors: list[UserError] = strawberry.field(description="Problems; empty on success.")

    return LeadConvertPayload


def mutation_fields(objects: dict[str, Any]) -> dict[str, RootField]:
    payload = _payload(objects["Lead"], objects["Customer"], objects["Contact"], objects["Opportunity"])

    async def lead_convert(
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The lead.")],
        create_opportunity: Annotated[bool, strawberry.argument(description="Also create an opportunity.")] = False,
        opportunity: Annotated[
            LeadConvertOpportunityInput | None,
            strawberry.argument(description="The opportunity's details (implies creating one)."),
        ] = None,
        expected_version: Annotated[int | None, strawberry.argument(description="Refuse if the lead changed.")] = None,
    ) -> payload:
        made, errors = await convert(info.context, id, expected_version, create_opportunity, opportunity)
        return payload(
            lead=made.get("lead"),
            customer=made.get("customer"),
            contact=made.get("contact"),
            opportunity=made.get("opportunity"),
            user_errors=errors,
        )

    return {
        "lead_convert": RootField(
            lead_convert,
            "Convert a lead into a customer (a company with the lead as contact, or a person), optionally with an "
            "opportunity; all or nothing. Converting twice is refused.",
            role="MEMBER",
        )
    }
