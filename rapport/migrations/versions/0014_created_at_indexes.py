"""an index ``(tenant_id, created_at, id)`` under each large entity's table (customers, contacts, leads,
opportunities, products, orders, service cases, interactions, feedback, ledger entries): every list sorts by
``CREATED_AT``, the usual "newest first" of a CRM's screens, and without an index each page sorted the tenant's
rows. ``created_at`` never changes, so updates stay HOT; ``UPDATED_AT`` is left unindexed for that reason.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "customers",
    "contacts",
    "leads",
    "opportunities",
    "products",
    "orders",
    "service_cases",
    "interactions",
    "feedback",
    "ledger_entries",
)


def upgrade() -> None:
    for table in TABLES:
        op.create_index(
            f"ix_{table}_tenant_id_created_at_id", table, ["tenant_id", "created_at", "id"], if_not_exists=True
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_tenant_id_created_at_id", table_name=table, if_exists=True)
