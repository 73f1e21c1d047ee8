"""The study module's WTForms, one module per area."""
