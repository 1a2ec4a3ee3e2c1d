"""SQLAlchemy models, one module per aggregate. Importing this package registers every table on ``Base.metadata``."""

from rapport.models.audit import AuditEntry
from rapport.models.base import Base, table_of
from rapport.models.campaign import Campaign, CampaignMember
from rapport.models.contact import Contact
from rapport.models.custom_field import CustomFieldDefinition
from rapport.models.customer import Customer
from rapport.models.feedback import Feedback
from rapport.models.idempotency import IdempotencyKey
from rapport.models.interaction import Interaction
from rapport.models.lead import Lead
from rapport.models.membership import LedgerEntry, MemberAccount, MembershipTier
from rapport.models.order import Order, OrderItem, ShipmentEvent
from rapport.models.pipeline import Opportunity, OpportunityStageChange, Pipeline, PipelineStage
from rapport.models.product import Product
from rapport.models.service_case import ServiceCase
from rapport.models.team import Team
from rapport.models.tenant import ApiToken, Tenant, User

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Base",
    "Campaign",
    "CampaignMember",
    "Contact",
    "CustomFieldDefinition",
    "Customer",
    "Feedback",
    "IdempotencyKey",
    "Interaction",
    "Lead",
    "LedgerEntry",
    "MemberAccount",
    "MembershipTier",
    "Opportunity",
    "OpportunityStageChange",
    "Order",
    "OrderItem",
    "Pipeline",
    "PipelineStage",
    "Product",
    "ServiceCase",
    "ShipmentEvent",
    "Team",
    "Tenant",
    "User",
    "table_of",
]
