"""Settings read from the environment (prefix ``RAPPORT_``) and an optional ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAPPORT_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"

    database_url: str | None = Field(
        default=None,
        description="Owner connection (migrations). Unset: an embedded PostgreSQL under data_dir is used.",
    )
    app_database_url: str | None = Field(
        default=None,
        description="Connection for requests, as a role that owns no table. Unset: database_url is used and "
        "every connection switches to app_role.",
    )
    app_role: str = Field(default="rapport_app", description="The non-owner role requests run as.")
    data_dir: Path = Field(default=Path(".rapport"), description="Where the embedded database keeps its data.")

    pool_size: int = 10
    pool_max_overflow: int = 10
    pool_timeout_s: float = 5.0
    connect_timeout_s: float = 5.0

    schema_cache_size: int = Field(default=256, description="Built tenant schemas kept in memory (LRU).")
    demo: bool | None = Field(
        default=None, description="Seed the demo tenant on serve. Default: on for the embedded database only."
    )
    log_level: str = "info"

    # Writes that cannot be lost or doubled (rapport/idempotency.py, rapport/purge.py).
    delete_retention_days: float = Field(
        default=30, ge=0, description="Deleted records stay restorable this long; `rapport purge` removes older ones."
    )
    idempotency_ttl_hours: float = Field(
        default=24, ge=24, description="How long an Idempotency-Key is remembered (at least 24 hours)."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
