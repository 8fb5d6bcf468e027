"""Scenarios: the TOML schema, year curves, loading, ``extends`` and overrides."""
