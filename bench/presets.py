"""Dataset sizes. Child rows are proportional to customers, at the ratios of the ``medium`` preset
(per customer: 2 contacts, 5 orders of 3 lines, 10 interactions; one product per 5 customers). 40% of the
customers are companies, and only companies have contacts (3 to 7 each)."""

from __future__ import annotations

from dataclasses import dataclass

from bench.fields import CUSTOMER_FIELDS, SUMMARY_FIELDS, FieldSpec


@dataclass(frozen=True)
class TenantPlan:
    index: int
    customers: int
    fields: tuple[FieldSpec, ...]

    @property
    def products(self) -> int:
        return max(10, self.customers // 5)


@dataclass(frozen=True)
class Preset:
    name: str
    tenants: tuple[TenantPlan, ...]
    description: str
    runnable: bool = True

    @property
    def customers(self) -> int:
        return sum(t.customers for t in self.tenants)


def _medium_like(name: str, scale: int, runnable: bool) -> Preset:
    # One large tenant (40% of the customers, 20 custom fields) and 19 smaller ones with 5 fields each.
    large = TenantPlan(0, 40_000 * scale, CUSTOMER_FIELDS)
    rest = 60_000 * scale
    others = tuple(TenantPlan(i, rest // 19 + (1 if i <= rest % 19 else 0), SUMMARY_FIELDS) for i in range(1, 20))
    return Preset(
        name,
        (large, *others),
        f"20 tenants, {100_000 * scale:,} customers (one tenant of {40_000 * scale:,} with 20 custom fields)",
        runnable,
    )


PRESETS: dict[str, Preset] = {
    "tiny": Preset("tiny", (TenantPlan(0, 60, CUSTOMER_FIELDS),), "1 tenant, 60 customers (tests)"),
    "small": Preset("small", (TenantPlan(0, 10_000, CUSTOMER_FIELDS),), "1 tenant, 10,000 customers"),
    "medium": _medium_like("medium", 1, True),
    # Documented for planning; not run by default (about 30 GB and an hour of loading on a laptop).
    "large": _medium_like("large", 10, False),
}
