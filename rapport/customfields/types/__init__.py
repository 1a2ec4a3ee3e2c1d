"""One module per custom field type. ``registry`` maps type names to instances."""
