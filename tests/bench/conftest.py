"""The ``tiny`` bench preset, loaded once into the test database (as ``rapport bench`` loads presets)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import generate
from bench.presets import PRESETS

SEED = 7


@pytest.fixture(scope="session")
async def tiny(owner_engine: AsyncEngine) -> Any:
    # Indexes are left out: they are shared by every tenant of the test database.
    return await generate.load(owner_engine, PRESETS["tiny"], SEED, quiet=True, indexes=False)
