"""Settings that are valid but make results statistically meaningless: warn, naming the cost.

The loader (:mod:`transport_sim.scenario.schema`) refuses what is wrong; this module warns
about what is allowed but costly, once the run knows its fleets and network.  Each
warning is a :class:`~transport_sim.errors.TransportSimWarning` in the error format
(``file: field = value: consequence``), shown once per run.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from transport_sim.scenario import schema

if TYPE_CHECKING:
    from collections.abc import Mapping

    from transport_sim.scenario.settings import Scenario

#: Smallest ``run.vehicle_scale`` accepted without a warning.  Scaled fleets are
#: simulated with ``stock x vehicle_scale`` vehicles, and day totals (km, energy, CO2)
#: carry a relative sampling noise of about ``1 / sqrt(n)`` over ``n`` vehicles; at 0.05
#: the shipped taxi fleet (4,500) keeps about 225 vehicles (about +/-7 %), while
#: ``1e-4`` leaves one taxi standing for the whole fleet.
MIN_VEHICLE_SCALE = 0.05
#: Share of road edges that may take less time to drive than one tick.  Movement inside
#: a tick is exact, but a vehicle that arrives waits for the next tick to leave again,
#: so every leg loses up to one tick; once the tick exceeds the travel time of half the
#: edges (the median), short legs such as bus stop-to-stop runs lose a large share of
#: their time and the km driven per day fall.
TICK_EDGE_QUANTILE = 0.5


def sampling_noise_percent(n_vehicles: float) -> float:
    """Return the relative sampling noise, in percent, of a total over ``n_vehicles``.

    ``100 / sqrt(n)`` (the coefficient of variation of a sum of ``n`` independent,
    similar vehicle-days); at least one vehicle is simulated, so ``n`` below 1 counts as 1.
    """
    return 100.0 / math.sqrt(max(n_vehicles, 1.0))


def warn_vehicle_scale(scenario: Scenario, scaled_stock: Mapping[str, int]) -> None:
    """Warn when ``run.vehicle_scale`` leaves a scaled fleet with few simulated vehicles.

    Parameters
    ----------
    scenario
        The run's scenario.
    scaled_stock
        Base-year stock of each fleet that ``run.vehicle_scale`` thins (taxis, trucks).
    """
    scale = scenario.run.vehicle_scale
    if scale >= MIN_VEHICLE_SCALE or not scaled_stock:
        return
    fleet = min(scaled_stock, key=lambda name: scaled_stock[name])
    n = scaled_stock[fleet] * scale
    schema.warn(
        schema.Where(scenario.source, "run.vehicle_scale"),
        scale,
        f"below {MIN_VEHICLE_SCALE:g}: the {fleet} fleet ({scaled_stock[fleet]:,} vehicles) "
        f"is simulated with {max(n, 1.0):.3g}, so its km, energy and CO2 carry about "
        f"+/-{sampling_noise_percent(n):.0f} % sampling noise (1/sqrt(n)), and rounding "
        "to whole vehicles biases them",
    )


def warn_tick(scenario: Scenario, edge_travel_time_s: np.ndarray) -> None:
    """Warn when ``run.tick_s`` exceeds the travel time of most road edges.

    Parameters
    ----------
    scenario
        The run's scenario.
    edge_travel_time_s
        Free-flow travel time of every road edge, s.
    """
    times = np.asarray(edge_travel_time_s, dtype=np.float64)
    if times.size == 0:
        return
    limit = float(np.quantile(times, TICK_EDGE_QUANTILE))
    tick = scenario.run.tick_s
    if tick <= limit:
        return
    schema.warn(
        schema.Where(scenario.source, "run.tick_s"),
        tick,
        f"longer than the travel time of half the road edges ({limit:.0f} s); every "
        "leg waits up to one tick before the next, so vehicles drive fewer km than "
        "scheduled (bus km are understated)",
    )
