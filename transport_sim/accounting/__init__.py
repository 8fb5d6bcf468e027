"""Accounting: days scaled to years, carriers, CO2 (TTW/WTW), pollutants, run outcomes."""
