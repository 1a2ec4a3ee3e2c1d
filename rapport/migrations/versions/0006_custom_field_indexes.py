"""custom field definitions record where their indexes stand

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "custom_field_definitions", sa.Column("index_status", sa.Text(), server_default="NONE", nullable=False)
    )
    op.add_column("custom_field_definitions", sa.Column("index_error", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("custom_field_definitions", "index_error")
    op.drop_column("custom_field_definitions", "index_status")
