"""``python -m bench [OPTIONS]``: the same as ``rapport bench [OPTIONS]``."""

from __future__ import annotations

import sys

from rapport.cli import app

if __name__ == "__main__":
    app(["bench", *sys.argv[1:]])
