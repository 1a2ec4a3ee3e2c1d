"""reads that authenticated in their own statement (decision 32) created one function per read here; reads now
authenticate pipelined with the read (decision 39), so this revision creates nothing, and 0009 drops what it
created in databases migrated before

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from collections.abc import Sequence

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
