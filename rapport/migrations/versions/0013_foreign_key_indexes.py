"""an index under each foreign key that had none, ``(tenant_id, <key>)``: a lead's customer, contact and
opportunity; a feedback's product; a case's order line and assignee; a stage change's previous stage and author;
a ledger entry's author; a campaign membership's lead; a token's user. Deleting (or purging, or erasing) a
referenced row makes PostgreSQL look for rows still pointing at it, once per row deleted: without an index that
read every row of the tenant. On the bench, with 200,000 leads in a tenant, 500 such checks on ``leads`` took
19.0 s; with the index, 8 ms.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, the referencing column besides tenant_id)
FOREIGN_KEYS = (
    ("leads", "customer_id"),
    ("leads", "contact_id"),
    ("leads", "opportunity_id"),
    ("feedback", "product_id"),
    ("service_cases", "order_item_id"),
    ("service_cases", "assignee_id"),
    ("opportunity_stage_changes", "from_stage_id"),
    ("opportunity_stage_changes", "changed_by_id"),
    ("ledger_entries", "created_by_id"),
    ("campaign_members", "lead_id"),
    ("api_tokens", "user_id"),
)


def upgrade() -> None:
    for table, key in FOREIGN_KEYS:
        op.create_index(f"ix_{table}_tenant_id_{key}", table, ["tenant_id", key], if_not_exists=True)


def downgrade() -> None:
    for table, key in FOREIGN_KEYS:
        op.drop_index(f"ix_{table}_tenant_id_{key}", table_name=table, if_exists=True)
