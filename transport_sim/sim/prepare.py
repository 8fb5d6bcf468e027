"""Prepare a run and simulate one representative day of it.

:func:`prepare` loads what a run needs once (network, fleets, the run context, the stock
trajectory) into :class:`Prepared`; :func:`simulate_day` builds a day's
:class:`~transport_sim.sim.model.TransportModel` with
:meth:`~transport_sim.sim.model.TransportModel.for_day` (the year's charger sites, the
day's legs) and runs it.  The runner, the charger-sizing tool, the benchmarks and the
tests all build days this way.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from transport_sim.errors import ScenarioError
from transport_sim.scenario.settings import Scenario

if TYPE_CHECKING:
    from transport_sim.demand.context import RunContext
    from transport_sim.fleets.calibration import Calibration
    from transport_sim.fleets.specs import FleetDefinition
    from transport_sim.network import Network
    from transport_sim.sim.model import TransportModel


@dataclass
class Prepared:
    """Inputs loaded once per run (network, fleets, context, stock trajectory)."""

    scenario: Scenario
    network: Network
    fleet_def: FleetDefinition
    context: RunContext
    stock: pd.DataFrame
    timings: dict[str, float]
    calibration: Calibration | None = None

    def calibration_file(self) -> Calibration:
        """Return the scenario's calibration (loaded on first use)."""
        if self.calibration is None:
            from transport_sim.fleets.calibration import load_calibration

            self.calibration = load_calibration(self.scenario, self.fleet_def)
        return self.calibration


def log_progress(progress: bool, text: str) -> None:
    """Print ``text`` to stderr when ``progress`` is true."""
    if progress:
        print(text, file=sys.stderr, flush=True)


def prepare(scenario: Scenario, *, progress: bool = False) -> Prepared:
    """Load the network and fleets, build the shared context and the stock trajectory."""
    from transport_sim.demand.context import build_context
    from transport_sim.fleets.calibration import load_calibration
    from transport_sim.fleets.reader import load_fleets_for
    from transport_sim.kernels.cache import configure_numba_cache
    from transport_sim.network import load_network
    from transport_sim.policy.turnover import simulate_stock
    from transport_sim.scenario.sanity import warn_tick, warn_vehicle_scale
    from transport_sim.sim.fleet_needs import check_network_serves

    configure_numba_cache()  # before the first kernel compiles (context builds call kernels)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    fleet_def = load_fleets_for(scenario)
    if fleet_def.base_year != scenario.run.start_year:
        raise ScenarioError(
            f"{scenario.source}: run.start_year = {scenario.run.start_year}: must equal the fleet "
            f"file's base year {fleet_def.base_year} ({fleet_def.path})"
        )
    calibration = load_calibration(scenario, fleet_def)
    timings["fleets_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    network = load_network(scenario.network_path)
    check_network_serves(scenario, network)  # a fleet the network cannot carry: one line
    timings["network_s"] = time.perf_counter() - t0
    log_progress(
        progress,
        f"network: {network.roads.n_nodes} road nodes, {network.roads.n_edges} edges"
        f"{' (schematic)' if network.schematic else ''}",
    )
    # valid but statistically meaningless settings: one warning each, naming the cost
    warn_vehicle_scale(scenario, {f: fleet_def.fleet(f).stock for f in ("taxi", "truck")})
    warn_tick(scenario, network.roads.edge_travel_time_s)
    t0 = time.perf_counter()
    context = build_context(
        network,
        fleet_def.fleet("bus").operation,
        taxi_area_radius_m=calibration.demand["taxi_area_radius_m"],
        taxi_zone_weight=calibration.demand["taxi_zone_weight"],
        od_weights=calibration.freight.od_weights,
    )
    timings["context_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    stock = simulate_stock(scenario, fleet_def)
    timings["policy_s"] = time.perf_counter() - t0
    return Prepared(scenario, network, fleet_def, context, stock, timings, calibration)


def day_seeds(
    seed: int, years: range, day_types: tuple[str, ...]
) -> dict[tuple[int, str], np.random.SeedSequence]:
    """One child SeedSequence per (year, day type), independent of run order."""
    root = np.random.SeedSequence(seed)
    children = root.spawn(len(years) * len(day_types))
    keys = [(y, d) for y in years for d in day_types]
    return dict(zip(keys, children, strict=True))


def simulate_day(
    prep: Prepared,
    year: int,
    day_type: str,
    seq: np.random.SeedSequence,
    plug_overrides: dict[str, int] | None = None,
    progress: Callable[[float], None] | None = None,
) -> TransportModel:
    """Build and run the model of one representative day; return the finished model.

    The same as :meth:`TransportModel.for_day <transport_sim.sim.model.TransportModel.for_day>`
    followed by :meth:`~transport_sim.sim.model.TransportModel.run_day`.
    """
    from transport_sim.sim.model import TransportModel

    model = TransportModel.for_day(prep, year, day_type, seq, plug_overrides=plug_overrides)
    model.run_day(progress)
    return model
