"""trust: audit trail (triggers, append-only), idempotency keys, erased customers; authentication sets the
actor and request id that audit rows record

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rapport.config import get_settings

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT_TENANT = "nullif(current_setting('rapport.tenant_id', true), '')::uuid"

# Audited tables and the GraphQL type their rows are. Left out: tenants and api_tokens (registry and
# credentials), member_accounts (balances derived from the audited ledger), opportunity_stage_changes (itself
# a history of audited opportunity updates), and the trail and idempotency tables themselves.
AUDITED = {
    "customers": "Customer",
    "contacts": "Contact",
    "leads": "Lead",
    "opportunities": "Opportunity",
    "pipelines": "Pipeline",
    "pipeline_stages": "PipelineStage",
    "products": "Product",
    "orders": "Order",
    "order_items": "OrderItem",
    "shipment_events": "ShipmentEvent",
    "service_cases": "ServiceCase",
    "interactions": "Interaction",
    "feedback": "Feedback",
    "campaigns": "Campaign",
    "campaign_members": "CampaignMember",
    "membership_tiers": "MembershipTier",
    "ledger_entries": "LedgerEntry",
    "users": "User",
    "teams": "Team",
    "custom_field_definitions": "CustomFieldDefinition",
}

# A UUIDv7 whose 12 "rand_a" bits hold the sub-millisecond fraction (RFC 9562, method 3), so audit rows
# written within one millisecond still sort in the order they were written.
UUID7 = """
CREATE FUNCTION rapport_uuid7() RETURNS uuid LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  ms numeric := extract(epoch FROM clock_timestamp()) * 1000;
  whole bigint := floor(ms);
  fraction integer := floor((ms - floor(ms)) * 4096);
  bytes bytea := uuid_send(gen_random_uuid());
BEGIN
  bytes := overlay(bytes PLACING substring(int8send(whole) FROM 3) FROM 1 FOR 6);
  bytes := set_byte(bytes, 6, 112 | (fraction >> 8));
  bytes := set_byte(bytes, 7, fraction & 255);
  RETURN encode(bytes, 'hex')::uuid;
END
$fn$
"""

# One audit row per changed row, in the writing transaction. Actor and request come from transaction-local
# settings made by rapport_authenticate; `rapport.audit_action` (ERASE, PURGE) names bulk operations.
AUDIT_TRIGGER = """
CREATE FUNCTION rapport_audit() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  before_row jsonb;
  after_row jsonb;
  subject jsonb;
  verb text;
  diff jsonb := '{}';
  forced text := nullif(current_setting('rapport.audit_action', true), '');
BEGIN
  IF TG_OP <> 'INSERT' THEN before_row := to_jsonb(OLD); END IF;
  IF TG_OP <> 'DELETE' THEN after_row := to_jsonb(NEW); END IF;
  subject := coalesce(after_row, before_row);
  IF TG_OP = 'INSERT' THEN verb := 'CREATE';
  ELSIF TG_OP = 'DELETE' THEN verb := 'DELETE';
  ELSIF before_row->>'deleted_at' IS NULL AND after_row->>'deleted_at' IS NOT NULL THEN verb := 'DELETE';
  ELSIF before_row->>'deleted_at' IS NOT NULL AND after_row->>'deleted_at' IS NULL THEN verb := 'RESTORE';
  ELSE verb := 'UPDATE';
  END IF;
  verb := coalesce(forced, verb);
  IF verb <> 'PURGE' THEN
    SELECT coalesce(jsonb_object_agg(f.name, jsonb_build_object('before', f.old, 'after', f.new)), '{}')
      INTO diff
      FROM (
        SELECT k AS name, before_row->k AS old, after_row->k AS new
          FROM jsonb_object_keys(subject) AS k
         WHERE k NOT IN ('tenant_id', 'id', 'version', 'created_at', 'updated_at', 'custom')
        UNION ALL
        SELECT 'custom.' || c.k, before_row->'custom'->c.k, after_row->'custom'->c.k
          FROM (SELECT jsonb_object_keys(coalesce(before_row->'custom', '{}'))
                UNION SELECT jsonb_object_keys(coalesce(after_row->'custom', '{}'))) AS c(k)
      ) AS f
     WHERE coalesce(f.old, 'null') IS DISTINCT FROM coalesce(f.new, 'null');
    IF verb = 'UPDATE' AND diff = '{}' THEN
      RETURN NULL;  -- only the version or a timestamp moved
    END IF;
  END IF;
  INSERT INTO audit_log (tenant_id, id, occurred_at, actor_user_id, actor_token_id, request_id, entity, entity_id,
                         customer_id, action, changes)
  VALUES ((subject->>'tenant_id')::uuid, rapport_uuid7(), clock_timestamp(),
          nullif(current_setting('rapport.user_id', true), '')::uuid,
          nullif(current_setting('rapport.token_id', true), '')::uuid,
          nullif(current_setting('rapport.request_id', true), ''),
          TG_ARGV[0], (subject->>'id')::uuid,
          CASE WHEN TG_TABLE_NAME = 'customers' THEN subject->>'id' ELSE subject->>'customer_id' END::uuid,
          verb, diff);
  RETURN NULL;
END
$fn$
"""

# Replace every string in a JSON value that mentions one of the terms (case-insensitive): contains it, or, for
# terms shorter than 4 characters (a two-character name), equals it.
SCRUB = """
CREATE FUNCTION rapport_scrub(p_value jsonb, p_terms text[]) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $fn$
BEGIN
  CASE jsonb_typeof(p_value)
    WHEN 'string' THEN
      IF EXISTS (SELECT 1 FROM unnest(p_terms) AS t
                  WHERE length(t) > 0 AND (lower(p_value #>> '{}') = lower(t)
                        OR (length(t) >= 4 AND strpos(lower(p_value #>> '{}'), lower(t)) > 0))) THEN
        RETURN '"[erased]"';
      END IF;
      RETURN p_value;
    WHEN 'array' THEN
      RETURN (SELECT coalesce(jsonb_agg(rapport_scrub(e, p_terms) ORDER BY n), '[]')
                FROM jsonb_array_elements(p_value) WITH ORDINALITY AS a(e, n));
    WHEN 'object' THEN
      RETURN (SELECT coalesce(jsonb_object_agg(k, rapport_scrub(v, p_terms)), '{}') FROM jsonb_each(p_value) AS o(k, v));
    ELSE
      RETURN p_value;
  END CASE;
END
$fn$
"""

# Audit changes about an erased person: values of fields that are not plainly non-personal (ids, times,
# amounts, states) become "[erased]"; strings left that mention the person are scrubbed too.
AUDIT_SCRUB = """
CREATE FUNCTION rapport_audit_scrub(p_changes jsonb, p_terms text[]) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $fn$
  SELECT coalesce(jsonb_object_agg(c.key, CASE
           WHEN c.key ~ '(_id|_at|_on)$' OR c.key = ANY (ARRAY[
             'kind', 'status', 'account', 'amount', 'balance_after', 'total', 'subtotal', 'discount_total',
             'currency', 'quantity', 'unit_price', 'discount', 'line_total', 'position', 'rating', 'nps', 'score',
             'probability', 'priority', 'channel', 'direction', 'duration_seconds', 'is_default', 'payment_method',
             'shipping_status', 'order_number', 'reference', 'active', 'attributed_revenue'])
             THEN jsonb_build_object('before', rapport_scrub(c.value->'before', p_terms),
                                     'after', rapport_scrub(c.value->'after', p_terms))
           ELSE jsonb_build_object(
             'before', CASE WHEN coalesce(c.value->'before', 'null') = 'null' THEN 'null' ELSE '"[erased]"' END::jsonb,
             'after', CASE WHEN coalesce(c.value->'after', 'null') = 'null' THEN 'null' ELSE '"[erased]"' END::jsonb)
         END), '{}')
    FROM jsonb_each(p_changes) AS c
$fn$
"""

# The one privileged step of customerErase: the append-only history (audit rows, ledger notes, tracking
# events) cannot be changed by the app role, so this function (run as the owner) scrubs it, for one customer
# that is already erased, in the caller's tenant only. FORCE RLS applies to the owner too: the caller's
# tenant setting stays in force, and every statement also names the tenant.
ERASE_HISTORY = """
CREATE FUNCTION rapport_erase_customer_history(p_customer uuid, p_terms text[]) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
DECLARE
  tenant uuid := nullif(current_setting('rapport.tenant_id', true), '')::uuid;
  subjects uuid[];
  scrubbed integer;
BEGIN
  IF tenant IS NULL THEN
    RAISE EXCEPTION 'rapport_erase_customer_history needs the tenant context' USING ERRCODE = '42501';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM customers WHERE tenant_id = tenant AND id = p_customer AND erased_at IS NOT NULL) THEN
    RAISE EXCEPTION 'customer % of this tenant is not erased', p_customer USING ERRCODE = '42501';
  END IF;
  subjects := ARRAY(
    SELECT p_customer
    UNION ALL SELECT id FROM contacts WHERE tenant_id = tenant AND customer_id = p_customer
    UNION ALL SELECT id FROM leads WHERE tenant_id = tenant AND customer_id = p_customer
    UNION ALL SELECT id FROM orders WHERE tenant_id = tenant AND customer_id = p_customer
    UNION ALL SELECT i.id FROM order_items i JOIN orders o ON o.tenant_id = i.tenant_id AND o.id = i.order_id
               WHERE i.tenant_id = tenant AND o.customer_id = p_customer
    UNION ALL SELECT s.id FROM shipment_events s JOIN orders o ON o.tenant_id = s.tenant_id AND o.id = s.order_id
               WHERE s.tenant_id = tenant AND o.customer_id = p_customer
    UNION ALL SELECT id FROM interactions WHERE tenant_id = tenant AND (customer_id = p_customer OR lead_id IN (
                 SELECT id FROM leads WHERE tenant_id = tenant AND customer_id = p_customer))
    UNION ALL SELECT id FROM feedback WHERE tenant_id = tenant AND customer_id = p_customer
    UNION ALL SELECT id FROM service_cases WHERE tenant_id = tenant AND customer_id = p_customer
    UNION ALL SELECT id FROM opportunities WHERE tenant_id = tenant AND customer_id = p_customer
    UNION ALL SELECT id FROM ledger_entries WHERE tenant_id = tenant AND customer_id = p_customer
    UNION ALL SELECT id FROM campaign_members WHERE tenant_id = tenant AND (customer_id = p_customer OR lead_id IN (
                 SELECT id FROM leads WHERE tenant_id = tenant AND customer_id = p_customer))
  );
  UPDATE ledger_entries SET note = NULL
   WHERE tenant_id = tenant AND customer_id = p_customer AND note IS NOT NULL;
  UPDATE shipment_events SET location = NULL, note = NULL
   WHERE tenant_id = tenant AND id = ANY (subjects) AND (location IS NOT NULL OR note IS NOT NULL);
  -- Last, so the audit rows the two updates above (and the caller's anonymisation) just wrote are included.
  UPDATE audit_log SET changes = rapport_audit_scrub(changes, p_terms)
   WHERE tenant_id = tenant AND (customer_id = p_customer OR entity_id = ANY (subjects));
  GET DIAGNOSTICS scrubbed = ROW_COUNT;
  RETURN scrubbed;
END
$fn$
"""

AUTHENTICATE = """
CREATE FUNCTION rapport_authenticate(p_tenant uuid, p_hash bytea{request_param})
RETURNS TABLE (token_id uuid, tenant_id uuid, tenant_slug text, schema_version integer,
               user_id uuid, user_role text, token_role text, tenant_settings jsonb)
LANGUAGE plpgsql AS $fn$
DECLARE
  t record;
BEGIN
  PERFORM set_config('rapport.tenant_id', p_tenant::text, true);
  SELECT k.id, k.tenant_id, n.slug, n.schema_version, k.user_id, u.role AS urole, k.role AS krole,
         k.last_used_at, n.settings
    INTO t
    FROM api_tokens k
    JOIN tenants n ON n.id = k.tenant_id
    JOIN users u ON u.tenant_id = k.tenant_id AND u.id = k.user_id
   WHERE k.tenant_id = p_tenant AND k.token_hash = p_hash AND k.revoked_at IS NULL;
  IF NOT FOUND THEN
    PERFORM set_config('rapport.tenant_id', '', true);
    RETURN;
  END IF;
  {actor}
  -- Record use at most once a minute, so reads do not turn into writes on every request.
  IF t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute' THEN
    UPDATE api_tokens SET last_used_at = now() WHERE api_tokens.tenant_id = t.tenant_id AND id = t.id;
  END IF;
  RETURN QUERY SELECT t.id, t.tenant_id, t.slug, t.schema_version, t.user_id, t.urole, t.krole, t.settings;
END
$fn$
"""
# Who acts, for the audit trigger: transaction-local like the tenant.
ACTOR = """PERFORM set_config('rapport.user_id', t.user_id::text, true);
  PERFORM set_config('rapport.token_id', t.id::text, true);
  PERFORM set_config('rapport.request_id', coalesce(p_request_id, ''), true);"""


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor_user_id", sa.UUID(), nullable=True),
        sa.Column("actor_token_id", sa.UUID(), nullable=True),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column("entity", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.CheckConstraint(
            "action IN ('CREATE', 'UPDATE', 'DELETE', 'RESTORE', 'ERASE', 'PURGE')", name=op.f("ck_audit_log_action")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_audit_log_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_tenant_id_entity_id_id", "audit_log", ["tenant_id", "entity_id", "id"])
    op.create_index("ix_audit_log_tenant_id_customer_id_id", "audit_log", ["tenant_id", "customer_id", "id"])
    op.create_index("ix_audit_log_tenant_id_actor_user_id_id", "audit_log", ["tenant_id", "actor_user_id", "id"])
    op.create_table(
        "idempotency_keys",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.LargeBinary(), nullable=False),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("scope IN ('REQUEST', 'MUTATION')", name=op.f("ck_idempotency_keys_scope")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_idempotency_keys_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(
        "uq_idempotency_keys_tenant_id_scope_key", "idempotency_keys", ["tenant_id", "scope", "key"], unique=True
    )
    op.create_index("ix_idempotency_keys_tenant_id_expires_at", "idempotency_keys", ["tenant_id", "expires_at"])
    op.add_column("customers", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))

    role = get_settings().app_role
    for table, privileges in (("audit_log", "SELECT, INSERT"), ("idempotency_keys", "SELECT, INSERT, UPDATE, DELETE")):
        op.execute(f"GRANT {privileges} ON {table} TO {role}")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} USING (tenant_id = {CURRENT_TENANT}) "
            f"WITH CHECK (tenant_id = {CURRENT_TENANT})"
        )

    op.execute(UUID7)
    op.execute(AUDIT_TRIGGER)
    for table, entity in AUDITED.items():
        op.execute(
            f"CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION rapport_audit('{entity}')"
        )
    op.execute(SCRUB)
    op.execute(AUDIT_SCRUB)
    op.execute(ERASE_HISTORY)
    op.execute("REVOKE ALL ON FUNCTION rapport_erase_customer_history(uuid, text[]) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION rapport_erase_customer_history(uuid, text[]) TO {role}")

    op.execute("DROP FUNCTION rapport_authenticate(uuid, bytea)")
    op.execute(AUTHENTICATE.replace("{request_param}", ", p_request_id text DEFAULT NULL").replace("{actor}", ACTOR))
    op.execute(f"GRANT EXECUTE ON FUNCTION rapport_authenticate(uuid, bytea, text) TO {role}")


def downgrade() -> None:
    role = get_settings().app_role
    op.execute("DROP FUNCTION rapport_authenticate(uuid, bytea, text)")
    op.execute(AUTHENTICATE.replace("{request_param}", "").replace("{actor}", ""))
    op.execute(f"GRANT EXECUTE ON FUNCTION rapport_authenticate(uuid, bytea) TO {role}")
    op.execute("DROP FUNCTION rapport_erase_customer_history(uuid, text[])")
    op.execute("DROP FUNCTION rapport_audit_scrub(jsonb, text[])")
    op.execute("DROP FUNCTION rapport_scrub(jsonb, text[])")
    for table in AUDITED:
        op.execute(f"DROP TRIGGER audit ON {table}")
    op.execute("DROP FUNCTION rapport_audit()")
    op.execute("DROP FUNCTION rapport_uuid7()")
    op.drop_column("customers", "erased_at")
    op.drop_index("ix_idempotency_keys_tenant_id_expires_at", table_name="idempotency_keys")
    op.drop_index("uq_idempotency_keys_tenant_id_scope_key", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index("ix_audit_log_tenant_id_actor_user_id_id", table_name="audit_log")
    op.drop_index("ix_audit_log_tenant_id_customer_id_id", table_name="audit_log")
    op.drop_index("ix_audit_log_tenant_id_entity_id_id", table_name="audit_log")
    op.drop_table("audit_log")
