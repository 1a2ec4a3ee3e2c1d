"""Error vocabulary: userError codes for mutations, and request-level error codes.

Mutations report problems with the input as ``userErrors`` (code, field path, message) and write nothing.
Problems with the request itself (authentication, permissions, limits) are GraphQL errors carrying
``extensions.code``.
"""

from __future__ import annotations

from enum import Enum

from graphql import GraphQLError


class UserErrorCode(Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    TOO_SHORT = "TOO_SHORT"
    TOO_LONG = "TOO_LONG"
    TOO_SMALL = "TOO_SMALL"
    TOO_LARGE = "TOO_LARGE"
    PATTERN_MISMATCH = "PATTERN_MISMATCH"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_PHONE = "INVALID_PHONE"
    INVALID_URL = "INVALID_URL"
    UNKNOWN_OPTION = "UNKNOWN_OPTION"
    UNKNOWN_FIELD = "UNKNOWN_FIELD"
    INVALID_KEY = "INVALID_KEY"
    RESERVED_KEY = "RESERVED_KEY"
    DUPLICATE = "DUPLICATE"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    FORBIDDEN = "FORBIDDEN"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    INVALID_STATE = "INVALID_STATE"
    INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"


USER_ERROR_DESCRIPTIONS: dict[str, str] = {
    "INVALID": "The value has the wrong type or form for this field.",
    "REQUIRED": "A value is required and none was given (or it would be removed).",
    "TOO_SHORT": "The text is shorter than the field's minimum length.",
    "TOO_LONG": "The text is longer than the field's maximum length.",
    "TOO_SMALL": "The number or date is below the field's minimum.",
    "TOO_LARGE": "The number or date is above the field's maximum.",
    "PATTERN_MISMATCH": "The text does not match the field's pattern.",
    "INVALID_EMAIL": "Not a valid email address.",
    "INVALID_PHONE": "Not a valid phone number; use international form, e.g. +86 138 0013 8000.",
    "INVALID_URL": "Not a valid http(s) URL.",
    "UNKNOWN_OPTION": "The value is not one of the field's options.",
    "UNKNOWN_FIELD": "No active custom field has this key on this entity.",
    "INVALID_KEY": "A custom field key must be camelCase: a lowercase letter, then letters or digits.",
    "RESERVED_KEY": "The key is taken by a core field or reserved by the API.",
    "DUPLICATE": "Another record already has this value, or the key is already defined.",
    "NOT_FOUND": "No such object in this tenant (or it was deleted).",
    "CONFLICT": "The object changed since you read it: expectedVersion is stale.",
    "FORBIDDEN": "Your role may not change this.",
    "LIMIT_EXCEEDED": "A limit was reached (for example, active custom fields per entity).",
    "INVALID_STATE": "The object is not in a state that allows this operation.",
    "INSUFFICIENT_BALANCE": "The points or stored balance would go below zero; nothing was recorded.",
    "IDEMPOTENCY_KEY_REUSED": "The reference or idempotency key was already used for a different request.",
}


class BadInput(Exception):
    """An argument a client sent cannot be used (a malformed cursor, too many values): a GraphQL error."""


class RequestError(GraphQLError):
    """A request-level error with a stable ``extensions.code``."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, extensions={"code": code})
