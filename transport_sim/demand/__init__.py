"""Demand: the run's places and next-hop tables, and each representative day's legs."""
