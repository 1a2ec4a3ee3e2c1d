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
    # Every active definition, visible to the actor's role or not (defaults of hidden fields still apply).
    all_custom_fields: Mapping[str, Mapping[str, FieldDefinition]] = field(default_factory=dict)
    loaders: Loaders = field(init=False)
    extensions: dict[str, Any] = field(default_factory=dict)
    # Index builds and drops to run once the request commits (customfields/indexes.py).
    index_jobs: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        from rapport.resolvers.loaders import Loaders

        self.loaders = Loaders(self)

    def custom_for(self, custom_entity: str | None) -> Mapping[str, FieldDefinition]:
        """The entity's active custom fields the actor's role can see."""
        return self.custom_fields.get(custom_entity, {}) if custom_entity else {}

    def hidden_for(self, custom_entity: str | None) -> Mapping[str, FieldDefinition]:
        """The entity's active custom fields the actor's role cannot see."""
        if not custom_entity:
            return {}
        visible = self.custom_for(custom_entity)
        return {k: d for k, d in self.all_custom_fields.get(custom_entity, {}).items() if k not in visible}
