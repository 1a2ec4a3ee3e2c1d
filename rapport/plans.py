"""Which requests PostgreSQL plans for their own values rather than with a cached generic plan.

psycopg prepares a statement it has run five times on a connection, and PostgreSQL may then plan it once for any
parameter values (a generic plan). For a filter that is a guess at how many rows match, and a bad one can cost
a hundredfold: on the bench, `segment = $1 AND score >= $2` ordered by signup date got a generic plan reading
a fifth of the tenant through the segment's index and sorting it (25 ms) instead of walking the date index
from the cursor (1 ms). Requests with a ``filter`` argument anywhere therefore run with
``plan_cache_mode = force_custom_plan`` (set by the authentication statement, so no round trip): each execution is
planned with its values, for a few tenths of a millisecond. Everything else keeps the database's own mode, which
takes generic plans for lookups by id and keyset pages (as good as custom ones there, and without the planning)
once their page sizes are in the statement's text (decision 34).
"""

from __future__ import annotations

from functools import lru_cache

from graphql import ArgumentNode, Visitor, visit

from rapport.limits import Parsed

CUSTOM = "force_custom_plan"
# For compiled statements whose filter values are in their text (``rapport.compiled.values_in_text``).
GENERIC = "force_generic_plan"


@lru_cache(maxsize=512)
def custom_plans(parsed: Parsed) -> bool:
    """Whether the document filters rows anywhere (its operation or any fragment)."""

    class FindFilter(Visitor):
        found = False

        def enter_argument(self, node: ArgumentNode, *_: object) -> object:
            if node.name.value == "filter":
                self.found = True
                return self.BREAK
            return None

    finder = FindFilter()
    visit(parsed.document, finder)
    return finder.found


def plan_cache_mode(parsed: Parsed) -> str | None:
    """The plan_cache_mode a request for this document runs with (None: the database's setting)."""
    return CUSTOM if custom_plans(parsed) else None
