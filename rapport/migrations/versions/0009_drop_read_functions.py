"""drop the functions of reads that authenticated in their own statement (decision 32, superseded by decision
39): ``rapport_read_*``

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        r"""
        DO $$
        DECLARE
          f regprocedure;
        BEGIN
          FOR f IN
            SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = current_schema() AND p.proname LIKE 'rapport\_read\_%'
          LOOP
            EXECUTE format('DROP FUNCTION %s', f);
          END LOOP;
        END
        $$
        """
    )


def downgrade() -> None:
    pass  # nothing reads through them any more
