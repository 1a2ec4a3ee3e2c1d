"""Rules for leads: sources come from the tenant's list; CONVERTED is reached only through leadConvert."""

from __future__ import annotations

from typing import Any

from rapport.context import RequestContext
from rapport.errors import UserErrorCode
from rapport.resolvers.mutations.crud import RULES, NoRules, Problems


class LeadRules(NoRules):
    async def check(
        self, ctx: RequestContext, values: dict[str, Any], current: Any, problems: Problems, extras: dict[str, Any]
    ) -> None:
        source = values.get("source")
        if source is not None and source not in ctx.settings.lead_sources:
            problems.add(
                ["input", "source"],
                UserErrorCode.UNKNOWN_OPTION,
                "one of the tenant's lead sources: " + ", ".join(ctx.settings.lead_sources),
            )
        status = values.get("status")
        if status == "CONVERTED" and (current is None or current.status != "CONVERTED"):
            problems.add(["input", "status"], UserErrorCode.INVALID_STATE, "use leadConvert to convert a lead")
        if current is not None and current.status == "CONVERTED" and status not in (None, "CONVERTED"):
            problems.add(["input", "status"], UserErrorCode.INVALID_STATE, "a converted lead stays converted")


RULES["Lead"] = LeadRules()
