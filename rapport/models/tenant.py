"""Tenants, their users and API tokens."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, LargeBinary, func
from sqlalchemy.orm import Mapped, mapped_column

from rapport.models.base import Base, Customizable, TenantScoped, Timestamped, Versioned

ROLES = ("OWNER", "ADMIN", "MEMBER", "VIEWER")
ROLE_CHECK = "role IN ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER')"


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str]
    slug: Mapped[str] = mapped_column(unique=True)
    # Bumped in the same transaction as any custom-field definition change: the schema cache key.
    schema_version: Mapped[int] = mapped_column(server_default="1")
    settings: Mapped[dict[str, Any]] = mapped_column(server_default="{}")
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class User(TenantScoped, Timestamped, Versioned, Customizable, Base):
    __tablename__ = "users"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "team_id"], ["teams.tenant_id", "teams.id"]),
        Index("uq_users_tenant_id_email", "tenant_id", "email", unique=True),
        Index("ix_users_tenant_id_team_id_id", "tenant_id", "team_id", "id"),
        CheckConstraint(ROLE_CHECK, name="role"),
    )

    name: Mapped[str]
    email: Mapped[str]
    role: Mapped[str]
    team_id: Mapped[uuid.UUID | None]
    active: Mapped[bool] = mapped_column(server_default="true")


class ApiToken(TenantScoped, Base):
    __tablename__ = "api_tokens"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"),
        CheckConstraint(ROLE_CHECK, name="role"),
        Index("ix_api_tokens_tenant_id_user_id", "tenant_id", "user_id"),
    )

    user_id: Mapped[uuid.UUID]
    name: Mapped[str]
    # SHA-256 of the token: tokens are 256-bit random values, so a fast hash is enough and lookups stay cheap.
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    role: Mapped[str]
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
