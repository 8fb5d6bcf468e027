"""Pipelines that chain the stages: a whole run and the charger-sizing tool."""
