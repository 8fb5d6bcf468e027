"""Fleets: specs per class and powertrain, the fleet-file reader, base-year stock, factors."""
