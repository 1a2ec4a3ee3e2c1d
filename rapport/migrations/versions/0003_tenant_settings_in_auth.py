"""authentication also returns the tenant's settings; default sales pipeline for existing tenants

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

from rapport.config import get_settings

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUTHENTICATE = """
CREATE FUNCTION rapport_authenticate(p_tenant uuid, p_hash bytea)
RETURNS TABLE (token_id uuid, tenant_id uuid, tenant_slug text, schema_version integer,
               user_id uuid, user_role text, token_role text{extra_columns})
LANGUAGE plpgsql AS $fn$
DECLARE
  t record;
BEGIN
  PERFORM set_config('rapport.tenant_id', p_tenant::text, true);
  SELECT k.id, k.tenant_id, n.slug, n.schema_version, k.user_id, u.role AS urole, k.role AS krole,
         k.last_used_at{extra_select}
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
  RETURN QUERY SELECT t.id, t.tenant_id, t.slug, t.schema_version, t.user_id, t.urole, t.krole{extra_return};
END
$fn$
"""

# The default sales process (DESIGN: potential -> qualified -> needs analysis -> proposal -> negotiation -> won/lost).
DEFAULT_PIPELINE = """
DO $$
DECLARE
  tenant record;
  pipeline_id uuid;
BEGIN
  FOR tenant IN SELECT id FROM tenants LOOP
    PERFORM set_config('rapport.tenant_id', tenant.id::text, true);
    IF NOT EXISTS (SELECT 1 FROM pipelines WHERE tenant_id = tenant.id) THEN
      pipeline_id := gen_random_uuid();
      INSERT INTO pipelines (tenant_id, id, name, is_default) VALUES (tenant.id, pipeline_id, 'Sales', true);
      INSERT INTO pipeline_stages (tenant_id, id, pipeline_id, name, position, probability, kind)
      SELECT tenant.id, gen_random_uuid(), pipeline_id, s.name, s.position, s.probability, s.kind
        FROM (VALUES ('Potential', 1, 10, 'OPEN'), ('Qualified', 2, 20, 'OPEN'), ('Needs analysis', 3, 40, 'OPEN'),
                     ('Proposal', 4, 60, 'OPEN'), ('Negotiation', 5, 80, 'OPEN'), ('Won', 6, 100, 'WON'),
                     ('Lost', 7, 0, 'LOST')) AS s(name, position, probability, kind);
    END IF;
  END LOOP;
  PERFORM set_config('rapport.tenant_id', '', true);
END $$
"""


def _replace(extra_columns: str, extra_select: str, extra_return: str) -> None:
    role = get_settings().app_role
    op.execute("DROP FUNCTION rapport_authenticate(uuid, bytea)")
    op.execute(
        AUTHENTICATE.replace("{extra_columns}", extra_columns)
        .replace("{extra_select}", extra_select)
        .replace("{extra_return}", extra_return)
    )
    op.execute(f"GRANT EXECUTE ON FUNCTION rapport_authenticate(uuid, bytea) TO {role}")


def upgrade() -> None:
    _replace(", tenant_settings jsonb", ", n.settings", ", t.settings")
    op.execute(DEFAULT_PIPELINE)


def downgrade() -> None:
    _replace("", "", "")
