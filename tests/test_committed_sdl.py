"""The committed SDL files are what code generators and reviewers read; they must match the code."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from rapport.schema.cache import plain_schema
from rapport.schema.sdl import sdl, tenant_sdl
from rapport.seed import DEMO_SLUG, seed_demo

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "docs" / "schema"
HOW = (
    "regenerate with: rapport schema print > docs/schema/base.graphql; "
    "rapport schema print --tenant demo > docs/schema/demo.graphql"
)


def test_base_sdl_is_current() -> None:
    committed = (SCHEMA_DIR / "base.graphql").read_text()
    assert committed.strip() == sdl(plain_schema()).strip(), HOW


async def test_demo_sdl_is_current(owner_engine: AsyncEngine) -> None:
    async with owner_engine.connect() as conn:
        transaction = await conn.begin()
        try:
            await seed_demo(conn)
            current = await tenant_sdl(conn, DEMO_SLUG)
        finally:
            await transaction.rollback()
    committed = (SCHEMA_DIR / "demo.graphql").read_text()
    assert committed.strip() == current.strip(), HOW
