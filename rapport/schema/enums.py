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
