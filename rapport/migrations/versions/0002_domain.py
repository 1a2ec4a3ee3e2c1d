"""domain: teams, leads, pipelines, opportunities, products, orders, cases, interactions, feedback,
campaigns, membership; RLS and grants for each

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 19:05:43.110314
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rapport.config import get_settings

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=True),
        sa.Column("budget", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("status", sa.Text(), server_default="PLANNED", nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("custom", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('PLANNED', 'ACTIVE', 'COMPLETED', 'CANCELLED')", name=op.f("ck_campaigns_status")
        ),
        sa.CheckConstraint("budget IS NULL OR budget >= 0", name=op.f("ck_campaigns_budget")),
        sa.CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name=op.f("ck_campaigns_dates")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_campaigns_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_campaigns")),
    )
    op.create_index(
        "ix_campaigns_custom",
        "campaigns",
        ["custom"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"custom": "jsonb_path_ops"},
    )
    op.create_table(
        "membership_tiers",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("threshold", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("benefits", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("basis IN ('LIFETIME_SPEND', 'POINTS')", name=op.f("ck_membership_tiers_basis")),
        sa.CheckConstraint("threshold >= 0", name=op.f("ck_membership_tiers_threshold")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_membership_tiers_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_membership_tiers")),
    )
    op.create_index("uq_membership_tiers_tenant_id_rank", "membership_tiers", ["tenant_id", "rank"], unique=True)
    op.create_table(
        "pipelines",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("custom", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pipelines_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_pipelines")),
    )
    op.create_index(
        "uq_pipelines_tenant_id_default",
        "pipelines",
        ["tenant_id"],
        unique=True,
        postgresql_where=sa.text("is_default"),
    )
    op.create_table(
        "products",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("sku", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("custom", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("unit_price >= 0", name=op.f("ck_products_unit_price")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_products_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_products")),
    )
    op.create_index(
        "ix_products_custom",
        "products",
        ["custom"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"custom": "jsonb_path_ops"},
    )
    op.create_index("ix_products_tenant_id_category", "products", ["tenant_id", "category"], unique=False)
    op.create_index("uq_products_tenant_id_sku", "products", ["tenant_id", "sku"], unique=True)
    op.create_table(
        "teams",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("custom", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_teams_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_teams")),
    )
    op.create_index("uq_teams_tenant_id_name", "teams", ["tenant_id", "name"], unique=True)
    op.create_table(
        "pipeline_stages",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("pipeline_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), server_default="OPEN", nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('OPEN', 'WON', 'LOST')", name=op.f("ck_pipeline_stages_kind")),
        sa.CheckConstraint("probability BETWEEN 0 AND 100", name=op.f("ck_pipeline_stages_probability")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "pipeline_id"],
            ["pipelines.tenant_id", "pipelines.id"],
            name=op.f("fk_pipeline_stages_tenant_id_pipeline_id_pipelines"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_pipeline_stages")),
    )
    op.create_index(
        "ix_pipeline_stages_tenant_id_pipeline_id_position",
        "pipeline_stages",
        ["tenant_id", "pipeline_id", "position"],
        unique=False,
    )
    op.create_table(
        "ledger_entries",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("balance_after", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("account IN ('POINTS', 'BALANCE')", name=op.f("ck_ledger_entries_account")),
        sa.CheckConstraint(
            "kind IN ('EARN', 'REDEEM', 'ADJUST', 'EXPIRE', 'TOP_UP', 'SPEND')", name=op.f("ck_ledger_entries_kind")
        ),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_ledger_entries_amount")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "created_by_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_ledger_entries_tenant_id_created_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_ledger_entries_tenant_id_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_ledger_entries")),
    )
    op.create_index(
        "ix_ledger_entries_tenant_id_customer_id_id", "ledger_entries", ["tenant_id", "customer_id", "id"], unique=False
    )
    op.create_index("uq_ledger_entries_reference", "ledger_entries", ["tenant_id", "account", "reference"], unique=True)
    op.create_table(
        "member_accounts",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("points", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False),
        sa.Column("balance", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False),
        sa.Column("points_earned", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_member_accounts_balance")),
        sa.CheckConstraint("points >= 0", name=op.f("ck_member_accounts_points")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_member_accounts_tenant_id_id_customers"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_member_accounts")),
    )
    op.create_table(
        "orders",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("order_number", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.Text(), server_default="PENDING", nullable=False),
        sa.Column("ordered_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payment_method", sa.Text(), nullable=True),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("subtotal", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False),
        sa.Column("discount_total", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False),
        sa.Column("recipient_name", sa.Text(), nullable=True),
        sa.Column("recipient_phone", sa.Text(), nullable=True),
        sa.Column("recipient_country", sa.Text(), nullable=True),
        sa.Column("recipient_region", sa.Text(), nullable=True),
        sa.Column("recipient_city", sa.Text(), nullable=True),
        sa.Column("recipient_street", sa.Text(), nullable=True),
        sa.Column("recipient_postal_code", sa.Text(), nullable=True),
        sa.Column("carrier", sa.Text(), nullable=True),
        sa.Column("tracking_number", sa.Text(), nullable=True),
        sa.Column("shipping_status", sa.Text(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("custom", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'COMPLETED', 'CANCELLED', 'REFUNDED')",
            name=op.f("ck_orders_status"),
        ),
        sa.CheckConstraint("total >= 0 AND subtotal >= 0 AND discount_total >= 0", name=op.f("ck_orders_totals")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_orders_tenant_id_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_orders")),
    )
    op.create_index(
        "ix_orders_custom",
        "orders",
        ["custom"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"custom": "jsonb_path_ops"},
    )
    op.create_index(
        "ix_orders_tenant_id_customer_id_ordered_at", "orders", ["tenant_id", "customer_id", "ordered_at"], unique=False
    )
    op.create_index("ix_orders_tenant_id_ordered_at", "orders", ["tenant_id", "ordered_at"], unique=False)
    op.create_index("uq_orders_tenant_id_order_number", "orders", ["tenant_id", "order_number"], unique=True)
    op.create_table(
        "feedback",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("nps", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("channel", sa.Text(), nullable=True),
        sa.Column("order_id", sa.UUID(), nullable=True),
        sa.Column("product_id", sa.UUID(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("custom", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('SURVEY', 'REVIEW', 'COMPLAINT', 'SUGGESTION')", name=op.f("ck_feedback_kind")),
        sa.CheckConstraint(
            "status IS NULL OR status IN ('OPEN', 'ACKNOWLEDGED', 'RESOLVED')", name=op.f("ck_feedback_status")
        ),
        sa.CheckConstraint("nps IS NULL OR nps BETWEEN 0 AND 10", name=op.f("ck_feedback_nps")),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name=op.f("ck_feedback_rating")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_feedback_tenant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["orders.tenant_id", "orders.id"],
            name=op.f("fk_feedback_tenant_id_order_id_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["products.tenant_id", "products.id"],
            name=op.f("fk_feedback_tenant_id_product_id_products"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_feedback")),
    )
    op.create_index(
        "ix_feedback_custom",
        "feedback",
        ["custom"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"custom": "jsonb_path_ops"},
    )
    op.create_index(
        "ix_feedback_tenant_id_customer_id_id", "feedback", ["tenant_id", "customer_id", "id"], unique=False
    )
    op.create_table(
        "opportunities",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("contact_id", sa.UUID(), nullable=True),
        sa.Column("pipeline_id", sa.UUID(), nullable=False),
        sa.Column("stage_id", sa.UUID(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("expected_close_date", sa.Date(), nullable=True),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.UUID(), nullable=True),
        sa.Column("competitors", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("lost_reason", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("custom", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_opportunities_amount")),
        sa.CheckConstraint("probability BETWEEN 0 AND 100", name=op.f("ck_opportunities_probability")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contact_id"],
            ["contacts.tenant_id", "contacts.id"],
            name=op.f("fk_opportunities_tenant_id_contact_id_contacts"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_opportunities_tenant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "owner_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_opportunities_tenant_id_owner_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "pipeline_id"],
            ["pipelines.tenant_id", "pipelines.id"],
            name=op.f("fk_opportunities_tenant_id_pipeline_id_pipelines"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "stage_id"],
            ["pipeline_stages.tenant_id", "pipeline_stages.id"],
            name=op.f("fk_opportunities_tenant_id_stage_id_pipeline_stages"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_opportunities")),
    )
    op.create_index(
        "ix_opportunities_custom",
        "opportunities",
        ["custom"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"custom": "jsonb_path_ops"},
    )
    op.create_index(
        "ix_opportunities_tenant_id_customer_id_id", "opportunities", ["tenant_id", "customer_id", "id"], unique=False
    )
    op.create_index("ix_opportunities_tenant_id_owner_id", "opportunities", ["tenant_id", "owner_id"], unique=False)
    op.create_index("ix_opportunities_tenant_id_stage_id", "opportunities", ["tenant_id", "stage_id"], unique=False)
    op.create_table(
        "order_items",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("discount", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False),
        sa.Column("line_total", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_items_quantity")),
        sa.CheckConstraint(
            "unit_price >= 0 AND discount >= 0 AND discount <= unit_price * quantity",
            name=op.f("ck_order_items_amounts"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["orders.tenant_id", "orders.id"],
            name=op.f("fk_order_items_tenant_id_order_id_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["products.tenant_id", "products.id"],
            name=op.f("fk_order_items_tenant_id_product_id_products"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_order_items")),
    )
    op.create_index(
        "ix_order_items_tenant_id_order_id_position", "order_items", ["tenant_id", "order_id", "position"], unique=False
    )
    op.create_index("ix_order_items_tenant_id_product_id", "order_items", ["tenant_id", "product_id"], unique=False)
    op.create_table(
        "shipment_events",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["orders.tenant_id", "orders.id"],
            name=op.f("fk_shipment_events_tenant_id_order_id_orders"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_shipment_events")),
    )
    op.create_index(
        "ix_shipment_events_tenant_id_order_id_occurred_at",
        "shipment_events",
        ["tenant_id", "order_id", "occurred_at"],
        unique=False,
    )
    op.create_table(
        "leads",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("company", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="NEW", nullable=False),
        sa.Column("score", sa.Integer(), server_default="0", nullable=False),
        sa.Column("tags", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("owner_id", sa.UUID(), nullable=True),
        sa.Column("customer_id", sa.UUID(), nullable=True),
        sa.Column("contact_id", sa.UUID(), nullable=True),
        sa.Column("opportunity_id", sa.UUID(), nullable=True),
        sa.Column("converted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("custom", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('NEW', 'CONTACTED', 'QUALIFIED', 'UNQUALIFIED', 'CONVERTED')", name=op.f("ck_leads_status")
        ),
        sa.CheckConstraint("score BETWEEN 0 AND 100", name=op.f("ck_leads_score")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contact_id"],
            ["contacts.tenant_id", "contacts.id"],
            name=op.f("fk_leads_tenant_id_contact_id_contacts"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_leads_tenant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "opportunity_id"],
            ["opportunities.tenant_id", "opportunities.id"],
            name=op.f("fk_leads_tenant_id_opportunity_id_opportunities"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "owner_id"], ["users.tenant_id", "users.id"], name=op.f("fk_leads_tenant_id_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_leads")),
    )
    op.create_index(
        "ix_leads_custom",
        "leads",
        ["custom"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"custom": "jsonb_path_ops"},
    )
    op.create_index("ix_leads_tenant_id_owner_id", "leads", ["tenant_id", "owner_id"], unique=False)
    op.create_index("ix_leads_tenant_id_status", "leads", ["tenant_id", "status"], unique=False)
    op.create_table(
        "opportunity_stage_changes",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("opportunity_id", sa.UUID(), nullable=False),
        sa.Column("from_stage_id", sa.UUID(), nullable=True),
        sa.Column("to_stage_id", sa.UUID(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("changed_by_id", sa.UUID(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "changed_by_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_opportunity_stage_changes_tenant_id_changed_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "from_stage_id"],
            ["pipeline_stages.tenant_id", "pipeline_stages.id"],
            name=op.f("fk_opportunity_stage_changes_tenant_id_from_stage_id_pipeline_stages"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "opportunity_id"],
            ["opportunities.tenant_id", "opportunities.id"],
            name=op.f("fk_opportunity_stage_changes_tenant_id_opportunity_id_opportunities"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "to_stage_id"],
            ["pipeline_stages.tenant_id", "pipeline_stages.id"],
            name=op.f("fk_opportunity_stage_changes_tenant_id_to_stage_id_pipeline_stages"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_opportunity_stage_changes")),
    )
    op.create_index(
        "ix_opportunity_stage_changes_tenant_id_opportunity_id_id",
        "opportunity_stage_changes",
        ["tenant_id", "opportunity_id", "id"],
        unique=False,
    )
    op.create_index(
        "ix_opportunity_stage_changes_tenant_id_to_stage_id",
        "opportunity_stage_changes",
        ["tenant_id", "to_stage_id"],
        unique=False,
    )
    op.create_table(
        "service_cases",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=True),
        sa.Column("order_item_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="OPEN", nullable=False),
        sa.Column("priority", sa.Text(), server_default="NORMAL", nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("assignee_id", sa.UUID(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("custom", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('RETURN', 'EXCHANGE', 'REPAIR', 'COMPLAINT', 'INQUIRY')", name=op.f("ck_service_cases_kind")
        ),
        sa.CheckConstraint("priority IN ('LOW', 'NORMAL', 'HIGH', 'URGENT')", name=op.f("ck_service_cases_priority")),
        sa.CheckConstraint(
            "status IN ('OPEN', 'IN_PROGRESS', 'WAITING_ON_CUSTOMER', 'RESOLVED', 'CLOSED')",
            name=op.f("ck_service_cases_status"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "assignee_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_service_cases_tenant_id_assignee_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_service_cases_tenant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["orders.tenant_id", "orders.id"],
            name=op.f("fk_service_cases_tenant_id_order_id_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_item_id"],
            ["order_items.tenant_id", "order_items.id"],
            name=op.f("fk_service_cases_tenant_id_order_item_id_order_items"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_service_cases")),
    )
    op.create_index(
        "ix_service_cases_custom",
        "service_cases",
        ["custom"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"custom": "jsonb_path_ops"},
    )
    op.create_index(
        "ix_service_cases_tenant_id_customer_id_id", "service_cases", ["tenant_id", "customer_id", "id"], unique=False
    )
    op.create_index("ix_service_cases_tenant_id_status", "service_cases", ["tenant_id", "status"], unique=False)
    op.create_table(
        "campaign_members",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("campaign_id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=True),
        sa.Column("lead_id", sa.UUID(), nullable=True),
        sa.Column("status", sa.Text(), server_default="TARGETED", nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attributed_revenue", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('TARGETED', 'SENT', 'RESPONDED', 'CONVERTED')", name=op.f("ck_campaign_members_status")
        ),
        sa.CheckConstraint("(customer_id IS NULL) <> (lead_id IS NULL)", name=op.f("ck_campaign_members_one_member")),
        sa.CheckConstraint("attributed_revenue >= 0", name=op.f("ck_campaign_members_revenue")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "campaign_id"],
            ["campaigns.tenant_id", "campaigns.id"],
            name=op.f("fk_campaign_members_tenant_id_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_campaign_members_tenant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "lead_id"],
            ["leads.tenant_id", "leads.id"],
            name=op.f("fk_campaign_members_tenant_id_lead_id_leads"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_campaign_members")),
    )
    op.create_index(
        "ix_campaign_members_tenant_id_campaign_id_id",
        "campaign_members",
        ["tenant_id", "campaign_id", "id"],
        unique=False,
    )
    op.create_index(
        "uq_campaign_members_customer",
        "campaign_members",
        ["tenant_id", "campaign_id", "customer_id"],
        unique=True,
        postgresql_where=sa.text("customer_id IS NOT NULL"),
    )
    op.create_index(
        "uq_campaign_members_lead",
        "campaign_members",
        ["tenant_id", "campaign_id", "lead_id"],
        unique=True,
        postgresql_where=sa.text("lead_id IS NOT NULL"),
    )
    op.create_table(
        "interactions",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=True),
        sa.Column("contact_id", sa.UUID(), nullable=True),
        sa.Column("lead_id", sa.UUID(), nullable=True),
        sa.Column("opportunity_id", sa.UUID(), nullable=True),
        sa.Column("order_id", sa.UUID(), nullable=True),
        sa.Column("case_id", sa.UUID(), nullable=True),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("direction", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("next_follow_up_on", sa.Date(), nullable=True),
        sa.Column("owner_id", sa.UUID(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("custom", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "channel IN ('PHONE', 'EMAIL', 'CHAT', 'MEETING', 'VISIT', 'SOCIAL', 'SMS', 'OTHER')",
            name=op.f("ck_interactions_channel"),
        ),
        sa.CheckConstraint("direction IN ('INBOUND', 'OUTBOUND')", name=op.f("ck_interactions_direction")),
        sa.CheckConstraint("customer_id IS NOT NULL OR lead_id IS NOT NULL", name=op.f("ck_interactions_subject")),
        sa.CheckConstraint("duration_seconds IS NULL OR duration_seconds >= 0", name=op.f("ck_interactions_duration")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "case_id"],
            ["service_cases.tenant_id", "service_cases.id"],
            name=op.f("fk_interactions_tenant_id_case_id_service_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contact_id"],
            ["contacts.tenant_id", "contacts.id"],
            name=op.f("fk_interactions_tenant_id_contact_id_contacts"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_interactions_tenant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "lead_id"],
            ["leads.tenant_id", "leads.id"],
            name=op.f("fk_interactions_tenant_id_lead_id_leads"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "opportunity_id"],
            ["opportunities.tenant_id", "opportunities.id"],
            name=op.f("fk_interactions_tenant_id_opportunity_id_opportunities"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["orders.tenant_id", "orders.id"],
            name=op.f("fk_interactions_tenant_id_order_id_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "owner_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_interactions_tenant_id_owner_id_users"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_interactions")),
    )
    op.create_index(
        "ix_interactions_custom",
        "interactions",
        ["custom"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"custom": "jsonb_path_ops"},
    )
    op.create_index(
        "ix_interactions_tenant_id_customer_id_occurred_at",
        "interactions",
        ["tenant_id", "customer_id", "occurred_at"],
        unique=False,
    )
    op.create_index("ix_interactions_tenant_id_lead_id", "interactions", ["tenant_id", "lead_id"], unique=False)
    op.create_index(
        "ix_interactions_tenant_id_owner_id_occurred_at",
        "interactions",
        ["tenant_id", "owner_id", "occurred_at"],
        unique=False,
    )
    op.add_column("customers", sa.Column("preferred_channel", sa.Text(), nullable=True))
    op.add_column("customers", sa.Column("interests", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False))
    op.add_column("customers", sa.Column("payment_method_preference", sa.Text(), nullable=True))
    op.create_index("ix_customers_tags", "customers", ["tags"], unique=False, postgresql_using="gin")
    op.create_index("ix_customers_tenant_id_owner_id", "customers", ["tenant_id", "owner_id"], unique=False)
    op.drop_column("customers", "lifecycle_stage")
    op.add_column("users", sa.Column("team_id", sa.UUID(), nullable=True))
    op.add_column("users", sa.Column("active", sa.Boolean(), server_default="true", nullable=False))
    op.add_column(
        "users", sa.Column("custom", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False)
    )
    op.create_foreign_key(
        op.f("fk_users_tenant_id_team_id_teams"), "users", "teams", ["tenant_id", "team_id"], ["tenant_id", "id"]
    )
    _tenancy_wall()


def downgrade() -> None:
    op.drop_constraint(op.f("fk_users_tenant_id_team_id_teams"), "users", type_="foreignkey")
    op.drop_column("users", "custom")
    op.drop_column("users", "active")
    op.drop_column("users", "team_id")
    op.add_column("customers", sa.Column("lifecycle_stage", sa.TEXT(), autoincrement=False, nullable=True))
    op.drop_index("ix_customers_tenant_id_owner_id", table_name="customers")
    op.drop_index("ix_customers_tags", table_name="customers", postgresql_using="gin")
    op.drop_column("customers", "payment_method_preference")
    op.drop_column("customers", "interests")
    op.drop_column("customers", "preferred_channel")
    op.drop_index("ix_interactions_tenant_id_owner_id_occurred_at", table_name="interactions")
    op.drop_index("ix_interactions_tenant_id_lead_id", table_name="interactions")
    op.drop_index("ix_interactions_tenant_id_customer_id_occurred_at", table_name="interactions")
    op.drop_index(
        "ix_interactions_custom",
        table_name="interactions",
        postgresql_using="gin",
        postgresql_ops={"custom": "jsonb_path_ops"},
    )
    op.drop_table("interactions")
    op.drop_index(
        "uq_campaign_members_lead", table_name="campaign_members", postgresql_where=sa.text("lead_id IS NOT NULL")
    )
    op.drop_index(
        "uq_campaign_members_customer",
        table_name="campaign_members",
        postgresql_where=sa.text("customer_id IS NOT NULL"),
    )
    op.drop_index("ix_campaign_members_tenant_id_campaign_id_id", table_name="campaign_members")
    op.drop_table("campaign_members")
    op.drop_index("ix_service_cases_tenant_id_status", table_name="service_cases")
    op.drop_index("ix_service_cases_tenant_id_customer_id_id", table_name="service_cases")
    op.drop_index(
        "ix_service_cases_custom",
        table_name="service_cases",
        postgresql_using="gin",
        postgresql_ops={"custom": "jsonb_path_ops"},
    )
    op.drop_table("service_cases")
    op.drop_index("ix_opportunity_stage_changes_tenant_id_to_stage_id", table_name="opportunity_stage_changes")
    op.drop_index("ix_opportunity_stage_changes_tenant_id_opportunity_id_id", table_name="opportunity_stage_changes")
    op.drop_table("opportunity_stage_changes")
    op.drop_index("ix_leads_tenant_id_status", table_name="leads")
    op.drop_index("ix_leads_tenant_id_owner_id", table_name="leads")
    op.drop_index(
        "ix_leads_custom", table_name="leads", postgresql_using="gin", postgresql_ops={"custom": "jsonb_path_ops"}
    )
    op.drop_table("leads")
    op.drop_index("ix_shipment_events_tenant_id_order_id_occurred_at", table_name="shipment_events")
    op.drop_table("shipment_events")
    op.drop_index("ix_order_items_tenant_id_product_id", table_name="order_items")
    op.drop_index("ix_order_items_tenant_id_order_id_position", table_name="order_items")
    op.drop_table("order_items")
    op.drop_index("ix_opportunities_tenant_id_stage_id", table_name="opportunities")
    op.drop_index("ix_opportunities_tenant_id_owner_id", table_name="opportunities")
    op.drop_index("ix_opportunities_tenant_id_customer_id_id", table_name="opportunities")
    op.drop_index(
        "ix_opportunities_custom",
        table_name="opportunities",
        postgresql_using="gin",
        postgresql_ops={"custom": "jsonb_path_ops"},
    )
    op.drop_table("opportunities")
    op.drop_index("ix_feedback_tenant_id_customer_id_id", table_name="feedback")
    op.drop_index(
        "ix_feedback_custom", table_name="feedback", postgresql_using="gin", postgresql_ops={"custom": "jsonb_path_ops"}
    )
    op.drop_table("feedback")
    op.drop_index("uq_orders_tenant_id_order_number", table_name="orders")
    op.drop_index("ix_orders_tenant_id_ordered_at", table_name="orders")
    op.drop_index("ix_orders_tenant_id_customer_id_ordered_at", table_name="orders")
    op.drop_index(
        "ix_orders_custom", table_name="orders", postgresql_using="gin", postgresql_ops={"custom": "jsonb_path_ops"}
    )
    op.drop_table("orders")
    op.drop_table("member_accounts")
    op.drop_index("uq_ledger_entries_reference", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_tenant_id_customer_id_id", table_name="ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_index("ix_pipeline_stages_tenant_id_pipeline_id_position", table_name="pipeline_stages")
    op.drop_table("pipeline_stages")
    op.drop_index("uq_teams_tenant_id_name", table_name="teams")
    op.drop_table("teams")
    op.drop_index("uq_products_tenant_id_sku", table_name="products")
    op.drop_index("ix_products_tenant_id_category", table_name="products")
    op.drop_index(
        "ix_products_custom", table_name="products", postgresql_using="gin", postgresql_ops={"custom": "jsonb_path_ops"}
    )
    op.drop_table("products")
    op.drop_index("uq_pipelines_tenant_id_default", table_name="pipelines", postgresql_where=sa.text("is_default"))
    op.drop_table("pipelines")
    op.drop_index("uq_membership_tiers_tenant_id_rank", table_name="membership_tiers")
    op.drop_table("membership_tiers")
    op.drop_index(
        "ix_campaigns_custom",
        table_name="campaigns",
        postgresql_using="gin",
        postgresql_ops={"custom": "jsonb_path_ops"},
    )
    op.drop_table("campaigns")


MUTABLE = (
    "teams",
    "leads",
    "pipelines",
    "pipeline_stages",
    "opportunities",
    "products",
    "orders",
    "order_items",
    "service_cases",
    "interactions",
    "feedback",
    "campaigns",
    "campaign_members",
    "membership_tiers",
    "member_accounts",
)
# History tables: the app may add rows, never change or remove them.
APPEND_ONLY = ("opportunity_stage_changes", "shipment_events", "ledger_entries")
CURRENT_TENANT = "nullif(current_setting('rapport.tenant_id', true), '')::uuid"


def _tenancy_wall() -> None:
    role = get_settings().app_role
    for table in (*MUTABLE, *APPEND_ONLY):
        privileges = "SELECT, INSERT" if table in APPEND_ONLY else "SELECT, INSERT, UPDATE, DELETE"
        op.execute(f"GRANT {privileges} ON {table} TO {role}")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} USING (tenant_id = {CURRENT_TENANT}) "
            f"WITH CHECK (tenant_id = {CURRENT_TENANT})"
        )
