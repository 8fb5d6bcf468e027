"""Simulation: the Mesa model and its agents; preparing and running one representative day."""
