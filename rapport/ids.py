"""Identifiers: time-ordered UUIDs (v7) in the database, Relay global IDs in the API."""

from __future__ import annotations

import base64
import binascii
import uuid

from uuid_utils.compat import uuid7


def new_id() -> uuid.UUID:
    """A UUIDv7: unique, and ordered by creation time, so primary-key order is insertion order."""
    return uuid7()


def to_global_id(type_name: str, id_: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{id_}".encode()).decode().rstrip("=")


def from_global_id(global_id: str) -> tuple[str, uuid.UUID] | None:
    """``(type_name, uuid)``, or None when the string is not one of our IDs."""
    if not isinstance(global_id, str) or len(global_id) > 200:
        return None
    try:
        raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
        type_name, _, value = raw.partition(":")
        return type_name, uuid.UUID(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
