"""Fields most entities share: identity, version and timestamps."""

from __future__ import annotations

import datetime as dt

from rapport.schema.declarations import Column
from rapport.schema.filters import DateTimeFilter

VERSION = Column("version", int, "Increases with every change; pass it as expectedVersion to update or delete safely.")
CREATED_AT = Column("created_at", dt.datetime, "When the object was created.", filter=DateTimeFilter, sort=True)
UPDATED_AT = Column("updated_at", dt.datetime, "When the object last changed.", filter=DateTimeFilter, sort=True)
TIMESTAMPS = (VERSION, CREATED_AT, UPDATED_AT)
