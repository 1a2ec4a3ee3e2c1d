"""Hand-written root fields (beyond the generated CRUD) declare themselves with ``RootField``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RootField:
    resolver: Callable[..., Any]
    description: str
    # The least role allowed to call it (VIEWER: every token).
    role: str = "VIEWER"
