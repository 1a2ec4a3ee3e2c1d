"""LONG_TEXT: multi-line text (notes, descriptions), up to 100,000 characters."""

from __future__ import annotations

from rapport.customfields.types.text import TextType


class LongTextType(TextType):
    name = "LONG_TEXT"
    description = "Multi-line text (at most 100,000 characters unless maxLength says less)."
    limit = 100_000
    sortable = False
