"""Customer feedback (客户反馈): surveys, reviews, complaints, suggestions."""

from __future__ import annotations

import strawberry

from rapport.models import Feedback, table_of
from rapport.schema.declarations import Column, Entity, Input, Reference
from rapport.schema.entities.common import TIMESTAMPS
from rapport.schema.enums import FeedbackKind, FeedbackKindFilter, FeedbackStatus, FeedbackStatusFilter
from rapport.schema.filters import IntFilter, StringFilter
from rapport.validation import enum_value, int_range, text

FEEDBACK = Entity(
    name="Feedback",
    table=table_of(Feedback),
    description="What a customer said: a survey answer, review, complaint or suggestion.",
    custom_entity="FEEDBACK",
    root_field="feedback",
    fields=(
        Column("kind", FeedbackKind, "What kind of feedback.", filter=FeedbackKindFilter, sort=True),
        Column("rating", int | None, "Rating from 1 to 5.", filter=IntFilter, sort=True),
        Column("nps", int | None, "Net Promoter answer from 0 to 10.", filter=IntFilter, sort=True),
        Column("comment", str | None, "The customer's words.", filter=StringFilter),
        Column("channel", str | None, "Where it was given (survey, app store, phone, ...).", filter=StringFilter),
        Column("status", FeedbackStatus | None, "Handling state (complaints).", filter=FeedbackStatusFilter),
        Reference("customer", "Customer", "customer_id", "Who gave it.", required=True),
        Reference("order", "Order", "order_id", "The order it is about."),
        Reference("product", "Product", "product_id", "The product it is about."),
        *TIMESTAMPS,
    ),
    inputs=(
        Input("customer_id", strawberry.ID, "Who gave it.", required=True, reference="Customer", nullable=False),
        Input("kind", FeedbackKind, "What kind of feedback.", required=True, parse=enum_value, nullable=False),
        Input("rating", int | None, "Rating from 1 to 5.", parse=int_range(1, 5)),
        Input("nps", int | None, "Net Promoter answer from 0 to 10.", parse=int_range(0, 10)),
        Input("comment", str | None, "The customer's words.", parse=text(10000)),
        Input("channel", str | None, "Where it was given.", parse=text(50)),
        Input("status", FeedbackStatus | None, "Handling state; complaints start OPEN.", parse=enum_value),
        Input("order_id", strawberry.ID | None, "The order it is about.", reference="Order"),
        Input("product_id", strawberry.ID | None, "The product it is about.", reference="Product"),
    ),
)
