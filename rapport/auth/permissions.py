"""Role checks declared on fields (strawberry permission classes), never written by hand in resolvers."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from rapport.context import RequestContext


class _RoleAtLeast(BasePermission):
    role = "VIEWER"
    message = "Your role may not do this."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        ctx: RequestContext = info.context
        return ctx.actor.at_least(self.role)


class CanWrite(_RoleAtLeast):
    """MEMBER and above may create, change and delete records; VIEWER tokens are read-only."""

    role = "MEMBER"
    message = "This token is read-only (VIEWER): writing needs MEMBER or above."


class IsAdmin(_RoleAtLeast):
    """ADMIN and above manage the tenant's configuration (custom fields)."""

    role = "ADMIN"
    message = "Only ADMIN or OWNER may change custom field definitions."


_BY_ROLE: dict[str, type[_RoleAtLeast]] = {"MEMBER": CanWrite, "ADMIN": IsAdmin}


def role_at_least(role: str) -> type[_RoleAtLeast]:
    """The permission class that lets ``role`` and the roles above it through."""
    return _BY_ROLE[role]
