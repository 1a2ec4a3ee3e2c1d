"""Filter values written into a compiled statement's text, so that one plan made for them can be reused
(decision 34).

A compiled statement is built and cached per document and variables (``rapport.compiled.plan``): only cursor
positions change between the requests that run it, and its filter values are constants of it. Bound as
parameters, they left PostgreSQL two choices: a generic plan, which guesses how many rows they match (and got
customFilter wrong by a hundredfold, decision 30), or a new plan on every execution (a third of customFilter's
statement). Written into the text, the statement that psycopg prepares carries them, and its generic plan is
made with their statistics: the request asks for it (``rapport.plans.GENERIC``) and plans once per connection.

Only values whose literal reads the same under any server setting are written: integers, finite decimals,
booleans, dates, UUIDs, and strings without a backslash, NUL or ``%`` (SQLAlchemy doubles quotes; with no
backslash a literal means the same whether or not ``standard_conforming_strings`` is on; a ``%`` would be
doubled for psycopg's placeholders and read back only when the statement has parameters). Anything else (a LIKE
pattern, JSON, a timestamp) stays a parameter, and the statement keeps custom plans.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Date, Integer, Numeric, String, Uuid, cast
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter


def written_into_text(condition: ColumnElement[bool]) -> tuple[ColumnElement[bool], bool]:
    """``condition`` with the values that can be written as literals rendered into the statement's text (as
    SQLAlchemy's literal-execute parameters); and whether all of its values were."""
    kept: list[BindParameter[Any]] = []

    def replace(element: Any, **_: Any) -> Any:
        if not isinstance(element, BindParameter):
            return None
        if not _literal_reads_the_same(element):
            kept.append(element)
            return None
        if element.expanding:  # an IN list: ``IN (1, 2)``
            return element.render_literal_execute()
        # Cast as the parameter was (``%(name)s::BIGINT``): the same operators, so the same indexes match.
        return cast(element.render_literal_execute(), element.type)

    written = visitors.replacement_traverse(condition, {}, replace)
    return written, not kept


def _literal_reads_the_same(bind: BindParameter[Any]) -> bool:
    if bind.callable is not None:
        return False
    if bind.expanding:
        values = bind.value
        return isinstance(values, list | tuple) and bool(values) and all(_writable(v, bind.type) for v in values)
    return _writable(bind.value, bind.type)


def _writable(value: Any, kind: Any) -> bool:
    if isinstance(kind, Boolean):
        return isinstance(value, bool)
    if isinstance(kind, Integer):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(kind, Numeric):
        return isinstance(value, int | Decimal) and not isinstance(value, bool) and Decimal(value).is_finite()
    if isinstance(kind, Date):
        return type(value) is datetime.date
    if isinstance(kind, Uuid):
        return isinstance(value, uuid.UUID)
    if isinstance(kind, String):
        return isinstance(value, str) and not any(c in value for c in "\\\x00%")
    return False
