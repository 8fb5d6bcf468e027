"""Charging: the year's sites, coverage, private cars, queue statistics and sizing."""
