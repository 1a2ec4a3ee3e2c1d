"""A tenant's business settings (stored as JSON on ``tenants.settings``), with defaults for what is unset."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_LEAD_SOURCES = ("ad", "event", "referral", "website", "cold call", "social", "other")


@dataclass(frozen=True)
class LifecycleRules:
    """Day thresholds for the derived lifecycle stage (see ``figures.lifecycle_stage``)."""

    new_days: int = 30
    active_days: int = 90
    churn_days: int = 365


@dataclass(frozen=True)
class TenantSettings:
    currency: str = "USD"
    lifecycle: LifecycleRules = field(default_factory=LifecycleRules)
    lead_sources: tuple[str, ...] = DEFAULT_LEAD_SOURCES

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> TenantSettings:
        data = data or {}
        lifecycle = data.get("lifecycle") or {}
        return cls(
            currency=data.get("currency") or cls.currency,
            lifecycle=LifecycleRules(
                new_days=lifecycle.get("newDays", LifecycleRules.new_days),
                active_days=lifecycle.get("activeDays", LifecycleRules.active_days),
                churn_days=lifecycle.get("churnDays", LifecycleRules.churn_days),
            ),
            lead_sources=tuple(data.get("leadSources") or DEFAULT_LEAD_SOURCES),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "lifecycle": {
                "newDays": self.lifecycle.new_days,
                "activeDays": self.lifecycle.active_days,
                "churnDays": self.lifecycle.churn_days,
            },
            "leadSources": list(self.lead_sources),
        }
