"""Service cases (售后): returns, exchanges, repairs, complaints and inquiries."""

from __future__ import annotations

import datetime as dt

import strawberry

from rapport.models import ServiceCase, table_of
from rapport.schema.declarations import Children, Column, Entity, Input, Reference
from rapport.schema.entities.common import TIMESTAMPS
from rapport.schema.enums import (
    CaseKind,
    CaseKindFilter,
    CasePriority,
    CasePriorityFilter,
    CaseStatus,
    CaseStatusFilter,
)
from rapport.schema.filters import DateTimeFilter, StringFilter
from rapport.validation import enum_value, name_text, text

SERVICE_CASE = Entity(
    name="ServiceCase",
    table=table_of(ServiceCase),
    description="An after-sales case: a return, exchange, repair, complaint or inquiry.",
    custom_entity="SERVICE_CASE",
    root_field="service_cases",
    fields=(
        Column("kind", CaseKind, "What the case is about.", filter=CaseKindFilter, sort=True),
        Column("status", CaseStatus, "Where the case stands.", filter=CaseStatusFilter, sort=True),
        Column("priority", CasePriority, "How urgent it is.", filter=CasePriorityFilter, sort=True),
        Column("subject", str, "Short summary.", filter=StringFilter, sort=True),
        Column("description", str | None, "What the customer reported."),
        Column("resolution", str | None, "How it was resolved."),
        Column("opened_at", dt.datetime, "When the case was opened.", filter=DateTimeFilter, sort=True),
        Column("resolved_at", dt.datetime | None, "When it was resolved.", filter=DateTimeFilter, sort=True),
        Column("closed_at", dt.datetime | None, "When it was closed.", filter=DateTimeFilter, sort=True),
        Reference("customer", "Customer", "customer_id", "The customer.", required=True),
        Reference("order", "Order", "order_id", "The order concerned."),
        Reference("order_item", "OrderItem", "order_item_id", "The order line concerned."),
        Reference("assignee", "User", "assignee_id", "Who handles the case."),
        Children("interactions", "Interaction", "case_id", "Interactions about this case."),
        *TIMESTAMPS,
    ),
    inputs=(
        Input("customer_id", strawberry.ID, "The customer.", required=True, reference="Customer", nullable=False),
        Input("kind", CaseKind, "What the case is about.", required=True, parse=enum_value, nullable=False),
        Input("subject", str, "Short summary.", required=True, parse=name_text, nullable=False),
        Input(
            "status",
            CaseStatus | None,
            "Where the case stands (resolvedAt/closedAt follow).",
            parse=enum_value,
            nullable=False,
        ),
        Input("priority", CasePriority | None, "How urgent it is (default NORMAL).", parse=enum_value, nullable=False),
        Input("description", str | None, "What the customer reported.", parse=text(10000)),
        Input("resolution", str | None, "How it was resolved.", parse=text(10000)),
        Input("order_id", strawberry.ID | None, "The order concerned (of the same customer).", reference="Order"),
        Input(
            "order_item_id", strawberry.ID | None, "The order line concerned (of that order).", reference="OrderItem"
        ),
        Input("assignee_id", strawberry.ID | None, "Who handles the case.", reference="User"),
    ),
)
