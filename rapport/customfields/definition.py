"""A custom field definition as the engine sees it (immutable; built from a ``custom_field_definitions`` row)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Option:
    """A choice of a SELECT / MULTI_SELECT field. ``id`` is what is stored and never changes; ``value`` is the
    GraphQL enum name; ``label`` is for people."""

    id: str
    value: str
    label: str
    color: str | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "value": self.value, "label": self.label}
        if self.color:
            data["color"] = self.color
        return data


@dataclass(frozen=True)
class FieldDefinition:
    id: uuid.UUID
    entity: str
    key: str
    type: str
    label: str
    description: str | None = None
    config: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    position: int = 0
    archived: bool = False
    version: int = 1
    created_at: dt.datetime | None = field(default=None, compare=False)
    updated_at: dt.datetime | None = field(default=None, compare=False)
    # Where the field's indexes stand (NONE, PENDING, BUILDING, READY, FAILED): state, not shape.
    index_status: str = field(default="NONE", compare=False)
    index_error: str | None = field(default=None, compare=False)

    @property
    def required(self) -> bool:
        return bool(self.config.get("required", False))

    @property
    def default(self) -> Any:
        """The canonical stored default, or None."""
        return self.config.get("default")

    @property
    def options(self) -> tuple[Option, ...]:
        return tuple(
            Option(id=o["id"], value=o["value"], label=o["label"], color=o.get("color"))
            for o in self.config.get("options", ())
        )

    def setting(self, name: str) -> Any:
        return self.config.get(name)

    def visible_to(self, role: str) -> bool:
        """Allow-list: without `visibleTo`, every role sees the field."""
        roles = self.config.get("visibleTo")
        return roles is None or role in roles

    def editable_by(self, role: str) -> bool:
        roles = self.config.get("editableBy")
        return (roles is None or role in roles) and self.visible_to(role)

    @classmethod
    def from_row(cls, row: Any) -> FieldDefinition:
        return cls(
            id=row.id,
            entity=row.entity,
            key=row.key,
            type=row.type,
            label=row.label,
            description=row.description,
            config=row.config,
            position=row.position,
            archived=row.archived_at is not None,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            index_status=row.index_status,
            index_error=row.index_error,
        )


def schema_fingerprint(definitions: Iterable[FieldDefinition]) -> str:
    """Identifies everything about active definitions that shapes a GraphQL schema: tenants with the same
    fingerprint can share one built schema."""
    shape = sorted(
        (d.entity, d.position, d.key, d.type, d.label, d.description or "", json.dumps(d.config, sort_keys=True))
        for d in definitions
        if not d.archived
    )
    return hashlib.sha256(json.dumps(shape).encode()).hexdigest()
