"""Private EV cars at service-area chargers: drawn as queue customers, never as fleet vehicles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from transport_sim.charging.sites import ChargerSites
from transport_sim.codes import (
    BACKGROUND_FLEET_CODE,
    POWERTRAINS,
    STATUS_OFF,
)
from transport_sim.errors import ScenarioError, describe
from transport_sim.kernels.charging import (
    HOURS_PER_DAY,
)
from transport_sim.scenario.settings import ChargingSettings
from transport_sim.units import SECONDS_PER_HOUR

if TYPE_CHECKING:
    from collections.abc import Sequence

    from transport_sim.kernels.state import FleetState


#: Relative arrival rate of private EV cars at expressway service-area chargers by hour
#: of day (estimate: low at night, midday and afternoon peaks; normalised to mean 1 when
#: used).  Not from a source; replace when charger session data are available.
CAR_HOURLY_PROFILE = (
    0.20, 0.15, 0.10, 0.10, 0.10, 0.20, 0.40, 0.70, 1.00, 1.30, 1.60, 1.70,
    1.60, 1.50, 1.60, 1.70, 1.60, 1.40, 1.20, 1.00, 0.80, 0.60, 0.40, 0.30,
)
#: Private EV car defaults (estimates: common 2023-25 Chinese BEV cars): battery (kWh),
#: energy taken per session (kWh, uniform, up to the scenario's charge_to_soc) and DC
#: acceptance (kW, uniform).
CAR_BATTERY_KWH = 60.0
CAR_NEED_KWH = (20.0, 45.0)
CAR_ACCEPT_KW = (100.0, 120.0)

# --------------------------------------------------------------------------------------
# background private EV cars
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BackgroundCars:
    """Private EV cars that charge at service areas on the simulated day (row = car).

    Attributes
    ----------
    site : int32[n]
        Charger site.
    arrive_s : float64[n]
        Arrival at the site (s since midnight), sorted.
    need_kwh : float64[n]
        Battery energy taken (to the scenario's ``charge_to_soc``).
    battery_kwh, max_charge_kw : float64[n]
    """

    site: np.ndarray
    arrive_s: np.ndarray
    need_kwh: np.ndarray
    battery_kwh: np.ndarray
    max_charge_kw: np.ndarray

    @property
    def n_cars(self) -> int:
        """Number of cars."""
        return int(self.site.shape[0])


def draw_background_cars(
    rng: np.random.Generator,
    sites: ChargerSites,
    settings: ChargingSettings,
    day_type: str,
    *,
    hourly_profile: Sequence[float] = CAR_HOURLY_PROFILE,
    battery_kwh: float = CAR_BATTERY_KWH,
    need_kwh: tuple[float, float] = CAR_NEED_KWH,
    accept_kw: tuple[float, float] = CAR_ACCEPT_KW,
) -> BackgroundCars:
    """Draw the day's private EV cars charging at service areas.

    Each site that serves cars gets a non-homogeneous Poisson stream:
    ``car_ev_arrivals_per_h x profile[hour]`` arrivals per hour (profile normalised to
    mean 1, so ``car_ev_arrivals_per_h`` is the daily mean rate), multiplied by
    ``holiday_car_multiplier`` on a holiday; arrival times uniform within each hour.
    Energy need and acceptance are uniform (estimates, see ``CAR_*``); the need is
    capped at ``charge_to_soc x battery_kwh``.  Every draw comes from ``rng``.

    Raises
    ------
    ScenarioError
        On an unknown day type.
    """
    if day_type not in ("weekday", "holiday"):
        raise ScenarioError(
            describe(None, "run.day_types", day_type, "accepted: weekday, holiday")
        )
    profile = np.asarray(hourly_profile, np.float64)
    if profile.shape != (HOURS_PER_DAY,) or profile.min() < 0 or profile.sum() <= 0:
        msg = "hourly_profile needs 24 non-negative values, not all 0"
        raise ValueError(msg)
    profile = profile / profile.mean()
    car_sites = np.flatnonzero((sites.fleets.astype(np.int64) >> BACKGROUND_FLEET_CODE) & 1)
    rate = settings.car_ev_arrivals_per_h * (
        settings.holiday_car_multiplier if day_type == "holiday" else 1.0
    )
    counts = rng.poisson(rate * profile[None, :], size=(car_sites.size, HOURS_PER_DAY))
    site = np.repeat(np.repeat(car_sites, HOURS_PER_DAY), counts.ravel()).astype(np.int32)
    hour = np.repeat(np.tile(np.arange(HOURS_PER_DAY), car_sites.size), counts.ravel())
    arrive = (hour + rng.uniform(0.0, 1.0, site.size)) * SECONDS_PER_HOUR
    need = rng.uniform(need_kwh[0], need_kwh[1], site.size)
    accept = rng.uniform(accept_kw[0], accept_kw[1], site.size)
    order = np.argsort(arrive, kind="stable")
    cap = settings.charge_to_soc * battery_kwh
    return BackgroundCars(
        site=site[order],
        arrive_s=arrive[order],
        need_kwh=np.minimum(need[order], cap),
        battery_kwh=np.full(site.size, battery_kwh),
        max_charge_kw=accept[order],
    )


def fill_background_rows(
    state: FleetState,
    first_row: int,
    cars: BackgroundCars,
    sites: ChargerSites,
    charge_to_soc: float,
) -> None:
    """Write ``cars`` into rows ``first_row : first_row + n_cars`` of ``state``.

    Each row: fleet ``BACKGROUND_FLEET_CODE``, powertrain ``bev``, status ``STATUS_OFF``,
    standing at the site's main node, ``charge_site`` set, arrival in ``wait_until_s``
    and SOC ``charge_to_soc x battery - need``.  The charging kernel queues the car when
    its arrival time comes and marks it ``STATUS_DONE`` when it leaves.

    Raises
    ------
    ValueError
        If the rows do not fit.
    """
    n = cars.n_cars
    rows = slice(int(first_row), int(first_row) + n)
    if first_row < 0 or first_row + n > state.n_vehicles:
        msg = f"{n} background cars do not fit from row {first_row} ({state.n_vehicles} rows)"
        raise ValueError(msg)
    state.fleet[rows] = BACKGROUND_FLEET_CODE
    state.powertrain[rows] = POWERTRAINS.index("bev")
    state.status[rows] = STATUS_OFF
    state.battery_kwh[rows] = cars.battery_kwh
    state.max_charge_kw[rows] = cars.max_charge_kw
    state.soc_kwh[rows] = np.maximum(charge_to_soc * cars.battery_kwh - cars.need_kwh, 0.0)
    state.node[rows] = sites.node[cars.site]
    state.edge[rows] = -1
    state.charge_site[rows] = cars.site
    state.detour_target[rows] = -1
    state.wait_until_s[rows] = cars.arrive_s
    state.leg[rows] = 0
    state.leg_begin[rows] = 0
    state.leg_end[rows] = 0
