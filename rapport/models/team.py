"""Sales teams: users belong to at most one team."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKeyConstraint, Index
from sqlalchemy.orm import Mapped

from rapport.models.base import Base, Customizable, TenantScoped, Timestamped, Versioned


class Team(TenantScoped, Timestamped, Versioned, Customizable, Base):
    __tablename__ = "teams"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        Index("uq_teams_tenant_id_name", "tenant_id", "name", unique=True),
    )

    name: Mapped[str]
    description: Mapped[str | None]
    deleted_at: Mapped[dt.datetime | None]
