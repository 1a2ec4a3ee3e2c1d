"""Types every tenant schema shares: Node, PageInfo, UserError and the runtime values behind connections."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import strawberry
from graphql import GraphQLAbstractType

from rapport.errors import USER_ERROR_DESCRIPTIONS, UserErrorCode
from rapport.resolvers.pagination import Page
from rapport.resolvers.records import entity_of

UserErrorCodeEnum = strawberry.enum(
    UserErrorCode,
    name="UserErrorCode",
    description="Why a mutation refused its input. Branch on these; messages are for people.\n\n"
    + "\n".join(f"- {k}: {v}" for k, v in USER_ERROR_DESCRIPTIONS.items()),
)


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="Globally unique ID of the object.")

    @classmethod
    def resolve_type(cls, obj: Any, info: Any, abstract_type: GraphQLAbstractType) -> str | None:
        return entity_of(obj)


@strawberry.type(description="Where a page sits in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item on the page.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last item on the page.")


@strawberry.type(description="A problem with a mutation's input. Nothing was written.")
class UserError:
    code: UserErrorCode = strawberry.field(description="What went wrong, for programs.")
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "custom", "loyaltyTier"].'
    )
    message: str = strawberry.field(description="What went wrong, for people.")


class Edge(NamedTuple):
    cursor: str
    node: Any


class ConnectionValue:
    """What a connection field resolves to; edges, nodes and pageInfo come from the page, totalCount is
    counted only when asked for."""

    __slots__ = ("_count", "page")

    def __init__(self, page: Page, count: Callable[[], Awaitable[int]]) -> None:
        self.page = page
        self._count = count

    @property
    def edges(self) -> list[Edge]:
        return [Edge(c, r) for c, r in zip(self.page.cursors, self.page.records, strict=True)]

    @property
    def nodes(self) -> list[Any]:
        return self.page.records

    @property
    def page_info(self) -> PageInfo:
        cursors = self.page.cursors
        return PageInfo(
            has_next_page=self.page.has_next,
            has_previous_page=self.page.has_previous,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        )

    async def total_count(self) -> int:
        return await self._count()
