"""Declarative base, naming convention and the column shapes every tenant table shares."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, cast

from sqlalchemy import DateTime, Integer, MetaData, Table, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Deterministic constraint names keep alembic migrations reviewable and `alembic check` quiet.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dict[str, Any]: JSONB,
        uuid.UUID: UUID(as_uuid=True),
        dt.datetime: DateTime(timezone=True),
        list[str]: ARRAY(Text),
        str: Text,
    }


class TenantScoped:
    """Every tenant table: ``(tenant_id, id)`` primary key. RLS policies are added by the migrations."""

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, sort_order=-20)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, sort_order=-19)


class Timestamped:
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now(), sort_order=20)
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now(), sort_order=21)


class Versioned:
    """Optimistic concurrency: every update checks and increments ``version``."""

    version: Mapped[int] = mapped_column(Integer, server_default="1", sort_order=19)


class Customizable:
    """Custom field values, keyed by field key, in one canonical JSON form per type."""

    custom: Mapped[dict[str, Any]] = mapped_column(server_default="{}", sort_order=18)


def table_of(model: type[Base]) -> Table:
    """A model's Table (Core queries use tables; mypy sees ``__table__`` as a plain FromClause)."""
    return cast(Table, model.__table__)
