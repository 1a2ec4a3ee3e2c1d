"""the audit trigger reads an inserted row in one pass: nothing came before it, so every field with a value is
a change (``jsonb_each`` over the row and its custom values), instead of the key-by-key comparison updates need.
Same changes recorded; about half the trigger's time per insert (0.34 to 0.16 ms on the bench's customers).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _trigger_of_0005() -> str:
    """The function as revision 0005 created it (loaded from that file: revision modules are no package)."""
    spec = importlib.util.spec_from_file_location("rapport_revision_0005", Path(__file__).with_name("0005_trust.py"))
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    created: str = module.AUDIT_TRIGGER
    return created.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


COMPARED = "  IF verb <> 'PURGE' THEN\n"
INSERTED = """  IF verb <> 'PURGE' AND TG_OP = 'INSERT' THEN
    -- Nothing before it: every field with a value, in one pass over the row and one over its custom values.
    SELECT coalesce(jsonb_object_agg(f.name, jsonb_build_object('before', NULL, 'after', f.new)), '{}')
      INTO diff
      FROM (
        SELECT key AS name, value AS new FROM jsonb_each(after_row)
         WHERE key NOT IN ('tenant_id', 'id', 'version', 'created_at', 'updated_at', 'custom')
        UNION ALL
        SELECT 'custom.' || key, value FROM jsonb_each(coalesce(after_row->'custom', '{}'))
      ) AS f
     WHERE f.new <> 'null';
  ELSIF verb <> 'PURGE' THEN
"""


def upgrade() -> None:
    earlier = _trigger_of_0005()
    assert earlier.count(COMPARED) == 1
    op.execute(earlier.replace(COMPARED, INSERTED))


def downgrade() -> None:
    op.execute(_trigger_of_0005())
