"""The custom-field engine: definitions, one class per field type, value validation and the SQL they need."""
