"""``rapport index build``: pending builds, and with ``--retry-failed`` the ones whose last build failed."""

from __future__ import annotations

import asyncio
import subprocess
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.indexes import range_name
from rapport.db.database import Database
from rapport.ids import from_global_id
from tests.conftest import App, Tenant
from tests.customfields.test_new_types import add_field
from tests.test_cli import RAPPORT, _env


def _index_build(database: Database, *args: str) -> subprocess.CompletedProcess[str]:
    env = _env(RAPPORT_DATABASE_URL=database.owner_url.render_as_string(hide_password=False))
    return subprocess.run(
        [RAPPORT, "index", "build", *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


async def _state(owner_engine: AsyncEngine, tenant: Tenant, key: str, index: str) -> tuple[str, str | None, bool]:
    async with owner_engine.connect() as conn:
        status, error = (
            await conn.execute(
                text(
                    "SELECT index_status, index_error FROM custom_field_definitions WHERE tenant_id = :t AND key = :k"
                ),
                {"t": tenant.id, "k": key},
            )
        ).one()
        exists = (await conn.execute(text("SELECT to_regclass(:i) IS NOT NULL"), {"i": index})).scalar_one()
    return status, error, exists


async def test_a_failed_build_is_retried_only_when_asked(
    rapport: App, database: Database, tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    field = await add_field(tenant, "retriedAmount", "DECIMAL", filterable=True)
    await asyncio.wait_for(rapport.app.state.rapport.index_builder.drain(), 60)
    definition = FieldDefinition(
        id=uuid.uuid4(), entity="CUSTOMER", key="retriedAmount", type="DECIMAL", label="R", config={"filterable": True}
    )
    index = range_name(definition)
    assert await _state(owner_engine, tenant, "retriedAmount", index) == ("READY", None, True)
    # What a failed build leaves: no index, the definition FAILED with the reason.
    async with owner_engine.begin() as conn:
        await conn.execute(text(f"DROP INDEX {index}"))
        await conn.execute(
            text(
                "UPDATE custom_field_definitions SET index_status = 'FAILED', index_error = 'disk full' "
                "WHERE tenant_id = :t AND key = 'retriedAmount'"
            ),
            {"t": tenant.id},
        )

    plain = await asyncio.to_thread(_index_build, database)
    assert plain.returncode == 0, plain.stderr
    assert await _state(owner_engine, tenant, "retriedAmount", index) == ("FAILED", "disk full", False)

    # Other tests' definitions share this database: only this one's outcome is asserted.
    retried = await asyncio.to_thread(_index_build, database, "--retry-failed")
    definition_id = from_global_id(field["id"])
    assert definition_id is not None
    assert f"{tenant.id} {definition_id[1]}: READY" in retried.stdout, (retried.stdout, retried.stderr)
    assert await _state(owner_engine, tenant, "retriedAmount", index) == ("READY", None, True)
