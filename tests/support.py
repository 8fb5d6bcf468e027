"""Shared helpers for the tests: small, fast variants of the shipped scenarios."""

from __future__ import annotations

from pathlib import Path

from transport_sim.scenario.settings import Scenario, load_scenario

REPO = Path(__file__).resolve().parents[1]
PLAN = REPO / "experiments" / "shiyan_plan.toml"
BASELINE = REPO / "experiments" / "baseline.toml"


def small(path: Path, **overrides: object) -> Scenario:
    """Return the scenario at ``path`` cut down to two years, one day type, 10 % of vehicles.

    Charger sizing (``charging.size_for_p95_wait_min`` and, in the base year,
    ``charging.base_year_p95_wait_min``) is off unless overridden.
    """
    base = {
        "run.start_year": 2024,
        "run.end_year": 2025,
        "run.day_types": ["weekday"],
        "run.vehicle_scale": 0.1,
        # no per-year charger sizing unless a test asks for it (it re-runs days)
        "charging.size_for_p95_wait_min": 0.0,
        # nor of the base year (today's plugs are sized in shipped scenarios)
        "charging.base_year_p95_wait_min": 0.0,
    }
    base.update({k.replace("__", "."): v for k, v in overrides.items()})
    return load_scenario(path).with_overrides(base)


def shipped_calibration() -> tuple:
    """Return ``(scenario, fleet definition, raw calibration TOML)`` of the shipped plan."""
    from transport_sim.fleets.calibration import read_calibration_toml
    from transport_sim.fleets.reader import load_fleets_for

    scen = small(PLAN)
    return scen, load_fleets_for(scen), read_calibration_toml(scen.calibration_path)
