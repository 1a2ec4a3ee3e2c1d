"""Pipelines and their stages (the sales process), and the record of stage changes."""

from __future__ import annotations

import datetime as dt

import strawberry

from rapport.models import OpportunityStageChange, Pipeline, PipelineStage, table_of
from rapport.schema.declarations import Children, Column, Entity, Input, Items, Reference
from rapport.schema.entities.common import TIMESTAMPS
from rapport.schema.enums import StageKind, StageKindFilter
from rapport.schema.filters import BooleanFilter, StringFilter
from rapport.validation import enum_value, int_range, name_text

PIPELINE = Entity(
    name="Pipeline",
    table=table_of(Pipeline),
    description="A sales process: ordered stages an opportunity moves through.",
    custom_entity="PIPELINE",
    root_field="pipelines",
    write_role="ADMIN",
    fields=(
        Column("name", str, "The pipeline's name.", filter=StringFilter, sort=True),
        Column("is_default", bool, "New opportunities use this pipeline unless told otherwise.", filter=BooleanFilter),
        Items("stages", "PipelineStage", "pipeline_id", "The stages, in order.", order=("position", "id")),
        Children("opportunities", "Opportunity", "pipeline_id", "Opportunities in this pipeline."),
        *TIMESTAMPS,
    ),
    inputs=(
        Input("name", str, "The pipeline's name.", required=True, parse=name_text, nullable=False),
        Input(
            "is_default",
            bool | None,
            "Make this the default pipeline (the previous default stops being it).",
            nullable=False,
        ),
    ),
)

PIPELINE_STAGE = Entity(
    name="PipelineStage",
    table=table_of(PipelineStage),
    description="A step of a pipeline, with the win probability opportunities take when they enter it.",
    write_role="ADMIN",
    fields=(
        Column("name", str, "The stage's name.", filter=StringFilter, sort=True),
        Column("position", int, "Order within the pipeline (lower first).", sort=True),
        Column("probability", int, "Win probability in percent for opportunities entering this stage."),
        Column("kind", StageKind, "OPEN, or WON / LOST for closing stages.", filter=StageKindFilter),
        Reference("pipeline", "Pipeline", "pipeline_id", "The pipeline the stage belongs to.", required=True),
        *TIMESTAMPS,
    ),
    inputs=(
        Input("pipeline_id", strawberry.ID, "The pipeline.", required=True, reference="Pipeline", nullable=False),
        Input("name", str, "The stage's name.", required=True, parse=name_text, nullable=False),
        Input("position", int, "Order within the pipeline.", required=True, parse=int_range(0, 1000), nullable=False),
        Input(
            "probability", int, "Win probability in percent.", required=True, parse=int_range(0, 100), nullable=False
        ),
        Input("kind", StageKind | None, "OPEN (default), WON or LOST.", parse=enum_value, nullable=False),
    ),
)

STAGE_CHANGE = Entity(
    name="OpportunityStageChange",
    table=table_of(OpportunityStageChange),
    description="An opportunity entering a stage: from where, to where, when and by whom.",
    soft_delete=False,
    fields=(
        Column("changed_at", dt.datetime, "When the change happened.", sort=True),
        Reference("opportunity", "Opportunity", "opportunity_id", "The opportunity.", required=True),
        Reference("from_stage", "PipelineStage", "from_stage_id", "The stage it left (null when created)."),
        Reference("to_stage", "PipelineStage", "to_stage_id", "The stage it entered.", required=True),
        Reference("changed_by", "User", "changed_by_id", "Who moved it."),
    ),
)
