"""name the spine's composite foreign keys after all their columns, like every later one

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENAMES = (
    ("api_tokens", "fk_api_tokens_tenant_id_users", "fk_api_tokens_tenant_id_user_id_users"),
    ("customers", "fk_customers_tenant_id_users", "fk_customers_tenant_id_owner_id_users"),
    ("contacts", "fk_contacts_tenant_id_customers", "fk_contacts_tenant_id_customer_id_customers"),
)


def upgrade() -> None:
    for table, old, new in RENAMES:
        op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {old} TO {new}")


def downgrade() -> None:
    for table, old, new in RENAMES:
        op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {new} TO {old}")
