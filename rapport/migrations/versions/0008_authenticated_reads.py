"""reads that authenticate in their own statement: one function per read (see rapport.authenticated_reads),
created again by ``rapport migrate`` whenever a read's SQL changes

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

from rapport.authenticated_reads import drop, install

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    install(op.get_bind())


def downgrade() -> None:
    drop(op.get_bind())
