"""custom values are read through accessor functions, leakproof when a superuser migrates (see
rapport.customfields.accessors); expression indexes move to them when the API starts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

from rapport.customfields.accessors import ACCESSORS, install

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    install(op.get_bind())


def downgrade() -> None:
    for accessor in ACCESSORS:
        op.execute(f"DROP FUNCTION IF EXISTS {accessor.name}(jsonb, text) CASCADE")  # and the indexes on them
