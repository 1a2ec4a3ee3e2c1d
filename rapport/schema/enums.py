"""Core enums shared by every tenant's schema, and a filter input per enum."""

from __future__ import annotations

from enum import Enum
from typing import Any, cast

import strawberry


@strawberry.enum(description="Whether a customer is a person or a company.")
class CustomerKind(Enum):
    PERSON = "PERSON"
    COMPANY = "COMPANY"


@strawberry.enum(description="A person's gender, as they state it.")
class Gender(Enum):
    FEMALE = "FEMALE"
    MALE = "MALE"
    OTHER = "OTHER"
    UNDISCLOSED = "UNDISCLOSED"


@strawberry.enum(description="Where a customer stands in their relationship with the business.")
class LifecycleStage(Enum):
    LEAD = "LEAD"
    NEW = "NEW"
    ACTIVE = "ACTIVE"
    DORMANT = "DORMANT"
    CHURNED = "CHURNED"


@strawberry.enum(description="The part a contact plays in a company's buying decisions.")
class DecisionRole(Enum):
    DECISION_MAKER = "DECISION_MAKER"
    INFLUENCER = "INFLUENCER"
    CHAMPION = "CHAMPION"
    GATEKEEPER = "GATEKEEPER"
    USER = "USER"
    OTHER = "OTHER"


@strawberry.enum(description="What a user (or token) may do in the tenant.")
class Role(Enum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    VIEWER = "VIEWER"


@strawberry.enum(description="Sort direction.")
class OrderDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


def make_enum(name: str, members: dict[str, Any], description: str) -> type[Enum]:
    """A GraphQL enum built at run time (per-tenant options, sort keys); member values are what is stored."""
    built = cast(type[Enum], Enum(name, members))
    return strawberry.enum(built, name=name, description=description)


def enum_filter(enum_cls: type[Enum], name: str | None = None) -> type:
    """``<Enum>Filter { eq ne in isNull }`` for a core or per-tenant enum."""
    type_name = name or f"{enum_cls.__name__}Filter"
    namespace: dict[str, Any] = {
        "__annotations__": {
            "eq": enum_cls | None,
            "ne": enum_cls | None,
            "in_": list[enum_cls] | None,  # type: ignore[valid-type]
            "is_null": bool | None,
        },
        "eq": strawberry.UNSET,
        "ne": strawberry.UNSET,
        "in_": strawberry.field(name="in", default=strawberry.UNSET),
        "is_null": strawberry.UNSET,
    }
    cls = type(type_name, (), namespace)
    return strawberry.input(cls, name=type_name, description=f"Conditions on a {enum_cls.__name__} value.")


CustomerKindFilter = enum_filter(CustomerKind)
GenderFilter = enum_filter(Gender)
LifecycleStageFilter = enum_filter(LifecycleStage)
DecisionRoleFilter = enum_filter(DecisionRole)


def _enum(name: str, description: str, *members: str) -> type[Enum]:
    return make_enum(name, {m: m for m in members}, description)


LeadStatus = _enum("LeadStatus", "Where a lead stands.", "NEW", "CONTACTED", "QUALIFIED", "UNQUALIFIED", "CONVERTED")
StageKind = _enum(
    "StageKind", "Whether a pipeline stage is still open, or closes the opportunity.", "OPEN", "WON", "LOST"
)
OrderStatus = _enum(
    "OrderStatus",
    "Where an order stands.",
    "PENDING",
    "PAID",
    "SHIPPED",
    "DELIVERED",
    "COMPLETED",
    "CANCELLED",
    "REFUNDED",
)
CaseKind = _enum("CaseKind", "What a service case is about.", "RETURN", "EXCHANGE", "REPAIR", "COMPLAINT", "INQUIRY")
CaseStatus = _enum(
    "CaseStatus", "Where a service case stands.", "OPEN", "IN_PROGRESS", "WAITING_ON_CUSTOMER", "RESOLVED", "CLOSED"
)
CasePriority = _enum("CasePriority", "How urgent a service case is.", "LOW", "NORMAL", "HIGH", "URGENT")
InteractionChannel = _enum(
    "InteractionChannel",
    "How an interaction happened.",
    "PHONE",
    "EMAIL",
    "CHAT",
    "MEETING",
    "VISIT",
    "SOCIAL",
    "SMS",
    "OTHER",
)
Direction = _enum(
    "Direction", "Who reached out: the customer (INBOUND) or the business (OUTBOUND).", "INBOUND", "OUTBOUND"
)
FeedbackKind = _enum("FeedbackKind", "What kind of feedback.", "SURVEY", "REVIEW", "COMPLAINT", "SUGGESTION")
FeedbackStatus = _enum("FeedbackStatus", "Handling state of a complaint.", "OPEN", "ACKNOWLEDGED", "RESOLVED")
CampaignStatus = _enum("CampaignStatus", "Where a campaign stands.", "PLANNED", "ACTIVE", "COMPLETED", "CANCELLED")
CampaignMemberStatus = _enum(
    "CampaignMemberStatus", "How far a campaign member got.", "TARGETED", "SENT", "RESPONDED", "CONVERTED"
)
TierBasis = _enum("TierBasis", "What a membership tier's threshold measures.", "LIFETIME_SPEND", "POINTS")
LedgerAccount = _enum("LedgerAccount", "Which balance a ledger entry moves.", "POINTS", "BALANCE")
LedgerKind = _enum(
    "LedgerKind",
    "Why a ledger entry moves a balance. EARN and TOP_UP add; REDEEM, SPEND and EXPIRE subtract; ADJUST may do either.",
    "EARN",
    "REDEEM",
    "ADJUST",
    "EXPIRE",
    "TOP_UP",
    "SPEND",
)

LeadStatusFilter = enum_filter(LeadStatus)
StageKindFilter = enum_filter(StageKind)
OrderStatusFilter = enum_filter(OrderStatus)
CaseKindFilter = enum_filter(CaseKind)
CaseStatusFilter = enum_filter(CaseStatus)
CasePriorityFilter = enum_filter(CasePriority)
InteractionChannelFilter = enum_filter(InteractionChannel)
DirectionFilter = enum_filter(Direction)
FeedbackKindFilter = enum_filter(FeedbackKind)
FeedbackStatusFilter = enum_filter(FeedbackStatus)
CampaignStatusFilter = enum_filter(CampaignStatus)
CampaignMemberStatusFilter = enum_filter(CampaignMemberStatus)
LedgerAccountFilter = enum_filter(LedgerAccount)
LedgerKindFilter = enum_filter(LedgerKind)
