"""Dagster resources: thin ConfigurableResource wrappers over the pure `gleaner` library."""
