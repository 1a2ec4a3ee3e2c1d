"""float8 accessors for exact decimals (``rapport_custom_float8``, ``rapport_custom_amount_float8``), which
decimal range filters use beside the exact comparison (decision 29). ``rapport migrate`` installs every accessor
anyway; as a revision, a database without them reports migrations pending (``/readyz``) instead of serving
filters that call functions it lacks.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

from rapport.customfields.accessors import install

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADDED = ("rapport_custom_float8", "rapport_custom_amount_float8")


def upgrade() -> None:
    install(op.get_bind())


def downgrade() -> None:
    for name in ADDED:
        op.execute(f"DROP FUNCTION IF EXISTS {name}(jsonb, text) CASCADE")  # and the range indexes on them
