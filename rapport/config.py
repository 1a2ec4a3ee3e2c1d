"""Settings read from the environment (prefix ``RAPPORT_``) and an optional ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MAX_BODY_BYTES = 1_000_000


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

    # A fixed pool (decision 28): an overflow connection is closed when it is returned, so bursts past the pool
    # opened a PostgreSQL backend per request.
    pool_size: int = 20
    pool_max_overflow: int = 0
    pool_timeout_s: float = 5.0
    read_pool_size: int | None = Field(
        default=None,
        ge=0,
        description="Most connections of the read pool, which answers repeated compiled reads outside "
        "SQLAlchemy (decision 31); unset: pool_size; 0: every request uses the request pool.",
    )
    connect_timeout_s: float = 5.0

    @property
    def read_pool_connections(self) -> int:
        return self.pool_size if self.read_pool_size is None else self.read_pool_size

    schema_cache_size: int = Field(default=256, description="Built tenant schemas kept in memory (LRU).")

    # Limits on what one request may ask for; all checked before authentication (see rapport/limits.py).
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1, description="Largest request body accepted.")
    max_query_length: int = Field(default=100_000, ge=1, description="Longest GraphQL document (characters).")
    max_tokens: int = Field(default=5_000, ge=1, description="Most lexical tokens (or comments) in a document.")
    max_depth: int = Field(default=15, ge=1, description="Deepest nesting of fields, introspection included.")
    max_aliases: int = Field(default=30, ge=0, description="Most aliased fields in the operation.")
    max_cost: int = Field(
        default=50_000, ge=1, description="Most nodes an operation may request: first/last multiplied down the nesting."
    )
    max_input_depth: int = Field(default=20, ge=1, description="Deepest nesting of input objects and lists.")
    introspection: bool = Field(default=True, description="Allow __schema and __type (code generators need them).")
    rate_limit_per_second: float = Field(
        default=2_000, ge=0, description="Cost points a tenant regains per second, per process; 0 turns limiting off."
    )
    rate_limit_burst: float = Field(default=10_000, ge=1, description="Cost points a tenant may spend at once.")
    compiled_reads: bool = Field(
        default=True,
        description="Answer queries PostgreSQL can build whole (entity lists, nested connections, references, "
        "custom fields) with one SQL statement that returns the JSON; false: always use the resolvers.",
    )
    statement_timeout_ms: int = Field(
        default=5_000, ge=0, description="Longest any SQL statement of a request may run; 0 means no limit."
    )
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

    @property
    def hide_suggestions(self) -> bool:
        """Production answers never say "Did you mean ...?": they would reveal the schema field by field."""
        return self.env == "production"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
