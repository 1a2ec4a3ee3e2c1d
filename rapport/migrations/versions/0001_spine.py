"""spine: tenants, users, tokens, customers, contacts, custom field definitions; RLS and the app role

Revision ID: 0001
Revises:
Create Date: 2026-11-23 18:44:08.946925
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rapport.config import get_settings

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("schema_version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("settings", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("slug", name=op.f("uq_tenants_slug")),
    )
    op.create_table(
        "custom_field_definitions",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("entity", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("config", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_custom_field_definitions_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_custom_field_definitions")),
    )
    op.create_index(
        "uq_custom_field_definitions_tenant_id_entity_key",
        "custom_field_definitions",
        ["tenant_id", "entity", "key"],
        unique=True,
    )
    op.create_table(
        "users",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("role IN ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER')", name=op.f("ck_users_role")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_users_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_users")),
    )
    op.create_index("uq_users_tenant_id_email", "users", ["tenant_id", "email"], unique=True)
    op.create_table(
        "api_tokens",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER')", name=op.f("ck_api_tokens_role")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_api_tokens_tenant_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_table(
        "customers",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("gender", sa.Text(), nullable=True),
        sa.Column("birthday", sa.Date(), nullable=True),
        sa.Column("occupation", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("address_country", sa.Text(), nullable=True),
        sa.Column("address_region", sa.Text(), nullable=True),
        sa.Column("address_city", sa.Text(), nullable=True),
        sa.Column("address_street", sa.Text(), nullable=True),
        sa.Column("address_postal_code", sa.Text(), nullable=True),
        sa.Column("source_channel", sa.Text(), nullable=True),
        sa.Column("lifecycle_stage", sa.Text(), nullable=True),
        sa.Column("tags", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("owner_id", sa.UUID(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("custom", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('PERSON', 'COMPANY')", name=op.f("ck_customers_kind")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "owner_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_customers_tenant_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_customers_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_customers")),
    )
    op.create_index(
        "ix_customers_custom",
        "customers",
        ["custom"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"custom": "jsonb_path_ops"},
    )
    op.create_index("ix_customers_tenant_id_email", "customers", ["tenant_id", "email"], unique=False)
    op.create_index("ix_customers_tenant_id_name", "customers", ["tenant_id", "name"], unique=False)
    op.create_table(
        "contacts",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("decision_role", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("custom", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_contacts_tenant_id_customers"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_contacts")),
    )
    op.create_index(
        "ix_contacts_custom",
        "contacts",
        ["custom"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"custom": "jsonb_path_ops"},
    )
    op.create_index(
        "ix_contacts_tenant_id_customer_id_id", "contacts", ["tenant_id", "customer_id", "id"], unique=False
    )
    _tenancy_wall()


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS rapport_authenticate(uuid, bytea)")
    op.drop_index("ix_contacts_tenant_id_customer_id_id", table_name="contacts")
    op.drop_index(
        "ix_contacts_custom",
        table_name="contacts",
        postgresql_using="gin",
        postgresql_ops={"custom": "jsonb_path_ops"},
    )
    op.drop_table("contacts")
    op.drop_index("ix_customers_tenant_id_name", table_name="customers")
    op.drop_index("ix_customers_tenant_id_email", table_name="customers")
    op.drop_index(
        "ix_customers_custom",
        table_name="customers",
        postgresql_using="gin",
        postgresql_ops={"custom": "jsonb_path_ops"},
    )
    op.drop_table("customers")
    op.drop_table("api_tokens")
    op.drop_index("uq_users_tenant_id_email", table_name="users")
    op.drop_table("users")
    op.drop_index("uq_custom_field_definitions_tenant_id_entity_key", table_name="custom_field_definitions")
    op.drop_table("custom_field_definitions")
    op.drop_table("tenants")


TENANT_TABLES = ("users", "api_tokens", "customers", "contacts", "custom_field_definitions")
# Unset and reset settings both read as NULL, so a connection without a tenant sees no rows.
CURRENT_TENANT = "nullif(current_setting('rapport.tenant_id', true), '')::uuid"


def _tenancy_wall() -> None:
    role = get_settings().app_role
    op.execute(
        f"""DO $$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN CREATE ROLE {role} NOLOGIN; END IF;
            END $$"""
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    op.execute(f"GRANT SELECT ON alembic_version TO {role}")
    op.execute(f"GRANT SELECT, UPDATE ON tenants TO {role}")
    for table in TENANT_TABLES:
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {role}")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} USING (tenant_id = {CURRENT_TENANT}) "
            f"WITH CHECK (tenant_id = {CURRENT_TENANT})"
        )
    # The tenant registry: the app role sees only its own tenant; the owner (operators' CLI, migrations) sees
    # all, so RLS is not forced here.
    op.execute("ALTER TABLE tenants ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON tenants USING (id = {CURRENT_TENANT})")
    # A token names its tenant; the tenant is set first, then the token is looked up under RLS like any other
    # row, so authentication needs no privileged reads. One round trip per request.
    op.execute(
        """
        CREATE FUNCTION rapport_authenticate(p_tenant uuid, p_hash bytea)
        RETURNS TABLE (token_id uuid, tenant_id uuid, tenant_slug text, schema_version integer,
                       user_id uuid, user_role text, token_role text)
        LANGUAGE plpgsql AS $fn$
        DECLARE
          t record;
        BEGIN
          PERFORM set_config('rapport.tenant_id', p_tenant::text, true);
          SELECT k.id, k.tenant_id, n.slug, n.schema_version, k.user_id, u.role AS urole, k.role AS krole,
                 k.last_used_at
            INTO t
            FROM api_tokens k
            JOIN tenants n ON n.id = k.tenant_id
            JOIN users u ON u.tenant_id = k.tenant_id AND u.id = k.user_id
           WHERE k.tenant_id = p_tenant AND k.token_hash = p_hash AND k.revoked_at IS NULL;
          IF NOT FOUND THEN
            PERFORM set_config('rapport.tenant_id', '', true);
            RETURN;
          END IF;
          -- Record use at most once a minute, so reads do not turn into writes on every request.
          IF t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute' THEN
            UPDATE api_tokens SET last_used_at = now() WHERE api_tokens.tenant_id = t.tenant_id AND id = t.id;
          END IF;
          RETURN QUERY SELECT t.id, t.tenant_id, t.slug, t.schema_version, t.user_id, t.urole, t.krole;
        END
        $fn$
        """
    )
    op.execute(f"GRANT EXECUTE ON FUNCTION rapport_authenticate(uuid, bytea) TO {role}")
