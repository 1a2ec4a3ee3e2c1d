"""SQLAlchemy models, one module per aggregate. Importing this package registers every table on ``Base.metadata``."""

from rapport.models.base import Base, table_of
from rapport.models.contact import Contact
from rapport.models.custom_field import CustomFieldDefinition
from rapport.models.customer import Customer
from rapport.models.tenant import ApiToken, Tenant, User

__all__ = ["ApiToken", "Base", "Contact", "CustomFieldDefinition", "Customer", "Tenant", "User", "table_of"]
