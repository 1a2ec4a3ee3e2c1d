"""What every resolver gets as ``info.context``: the request's transaction, tenant, actor and loaders."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection

from rapport.customfields.definition import FieldDefinition
from rapport.tenant_settings import TenantSettings

if TYPE_CHECKING:
    from rapport.resolvers.loaders import Loaders

ROLE_RANK = {"VIEWER": 0, "MEMBER": 1, "ADMIN": 2, "OWNER": 3}


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID
    role: str
    token_id: uuid.UUID | None = None

    def at_least(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


@dataclass
class RequestContext:
    conn: AsyncConnection
    tenant_id: uuid.UUID
    tenant_slug: str
    schema_version: int
    actor: Actor
    # Active custom field definitions by entity key (CUSTOMER, ...), then by field key.
    custom_fields: Mapping[str, Mapping[str, FieldDefinition]]
    request_id: str
    settings: TenantSettings = field(default_factory=TenantSettings)
    loaders: Loaders = field(init=False)
    extensions: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from rapport.resolvers.loaders import Loaders

        self.loaders = Loaders(self)

    def custom_for(self, custom_entity: str | None) -> Mapping[str, FieldDefinition]:
        return self.custom_fields.get(custom_entity, {}) if custom_entity else {}
