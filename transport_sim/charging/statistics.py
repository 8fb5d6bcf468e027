"""Charging statistics of a simulated day: the session log, per-site waits and the hourly load."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from transport_sim.charging.sites import ChargerSites
from transport_sim.codes import (
    BACKGROUND_FLEET,
    FLEETS,
)
from transport_sim.kernels.charging import (
    HOURS_PER_DAY,
    ChargingState,
)
from transport_sim.units import SECONDS_PER_DAY, SECONDS_PER_HOUR, SECONDS_PER_MINUTE

if TYPE_CHECKING:

    pass


# --------------------------------------------------------------------------------------
# statistics
# --------------------------------------------------------------------------------------
def session_log_frame(
    cs: ChargingState, sites: ChargerSites, fleet: np.ndarray | None = None
) -> pd.DataFrame:
    """Return the session log: one row per queue arrival.

    Columns: site_id, kind, vehicle, (fleet name when ``fleet`` codes are given),
    arrive_s, start_s, end_s (NaN: never plugged in / still charging), wait_min (NaN
    when never plugged in), energy_kwh (grid energy).
    """
    k = cs.n_sessions_logged
    site = cs.log_site[:k]
    vehicle = cs.log_vehicle[:k]
    data: dict[str, object] = {
        "site_id": np.array(sites.site_id, dtype=object)[site] if k else np.array([], object),
        "kind": np.array(sites.kind_names(), dtype=object)[site] if k else np.array([], object),
        "vehicle": vehicle.copy(),
    }
    if fleet is not None:
        names = np.array((*FLEETS, BACKGROUND_FLEET), dtype=object)
        data["fleet"] = names[np.asarray(fleet)[vehicle]]
    data |= {
        "arrive_s": cs.log_arrive_s[:k].copy(),
        "start_s": cs.log_start_s[:k].copy(),
        "end_s": cs.log_end_s[:k].copy(),
        "wait_min": (cs.log_start_s[:k] - cs.log_arrive_s[:k]) / SECONDS_PER_MINUTE,
        "energy_kwh": cs.log_energy_kwh[:k].copy(),
    }
    return pd.DataFrame(data)


SITE_STAT_COLUMNS = (
    "year", "day_type", "site_id", "name", "kind", "lon", "lat", "plugs", "power_kw",
    "sessions", "energy_kwh", "utilisation", "wait_mean_min", "wait_p95_min", "max_queue",
)


def site_statistics(
    cs: ChargingState,
    sites: ChargerSites,
    year: int,
    day_type: str,
    *,
    day_end_s: float = SECONDS_PER_DAY,
) -> pd.DataFrame:
    """Return per-site queue statistics of the simulated day.

    Columns :data:`SITE_STAT_COLUMNS`: sessions started, grid energy (kWh), utilisation
    (busy plug-hours / (plugs x day length, 24 h by default)), mean and 95th-percentile
    wait (minutes) and the longest queue.  Customers still queued at ``day_end_s`` count
    with their wait up to then (a lower bound), so an overloaded site is not reported as quiet.
    """
    k = cs.n_sessions_logged
    start = cs.log_start_s[:k]
    waits = np.where(np.isfinite(start), start, np.maximum(day_end_s, cs.log_arrive_s[:k]))
    waits_min = (waits - cs.log_arrive_s[:k]) / SECONDS_PER_MINUTE
    wait_mean = np.zeros(sites.n_sites)
    wait_p95 = np.zeros(sites.n_sites)
    for s in range(sites.n_sites):
        w = waits_min[cs.log_site[:k] == s]
        if w.size:
            wait_mean[s] = w.mean()
            wait_p95[s] = np.percentile(w, 95)
    return pd.DataFrame({
        "year": np.full(sites.n_sites, int(year)),
        "day_type": [day_type] * sites.n_sites,
        "site_id": list(sites.site_id),
        "name": list(sites.name),
        "kind": sites.kind_names(),
        "lon": sites.lon,
        "lat": sites.lat,
        "plugs": sites.plugs,
        "power_kw": sites.power_kw,
        "sessions": cs.site_sessions.astype(np.int64),
        "energy_kwh": cs.site_energy_kwh.copy(),
        "utilisation": cs.site_busy_s / (sites.plugs * day_end_s),
        "wait_mean_min": wait_mean,
        "wait_p95_min": wait_p95,
        "max_queue": cs.site_max_queue.astype(np.int64),
    }, columns=list(SITE_STAT_COLUMNS))


def hourly_profile(cs: ChargingState, sites: ChargerSites) -> pd.DataFrame:
    """Return the hourly profile as a long table: site_id, hour, mean_queue, busy_plugs.

    ``mean_queue`` is the time-averaged number of vehicles waiting in that hour,
    ``busy_plugs`` the time-averaged number of plugs in use (plug-hours per hour).
    """
    n = sites.n_sites
    return pd.DataFrame({
        "site_id": np.repeat(np.array(sites.site_id, dtype=object), HOURS_PER_DAY),
        "hour": np.tile(np.arange(HOURS_PER_DAY), n),
        "mean_queue": (cs.site_hourly_queue_s / SECONDS_PER_HOUR).ravel(),
        "busy_plugs": (cs.site_hourly_busy_s / SECONDS_PER_HOUR).ravel(),
    })


def hourly_energy_by_fleet(
    cs: ChargingState,
    sites: ChargerSites,
    fleet: np.ndarray,
    *,
    day_end_s: float = SECONDS_PER_DAY,
) -> pd.DataFrame:
    """Return the grid energy drawn per (site, hour of day, fleet) on the simulated day.

    Each session's grid energy is spread evenly over its plug time ``[start, end)``
    (``end`` = ``day_end_s`` for a vehicle still charging at the end of the day), so the
    hours a session spans share its energy by their overlap.  The energy of a site summed
    over hours and fleets equals its ``energy_kwh`` of :func:`site_statistics`.

    Returns
    -------
    pandas.DataFrame
        Columns ``site_id``, ``hour`` (0..23), ``fleet`` (fleet name, ``car`` for the
        background EVs) and ``energy_kwh``; only cells with energy.
    """
    k = cs.n_sessions_logged
    names = np.array((*FLEETS, BACKGROUND_FLEET), dtype=object)
    n_fleets = names.size
    energy = np.zeros((sites.n_sites, HOURS_PER_DAY, n_fleets))
    start = cs.log_start_s[:k]
    end = np.where(np.isfinite(cs.log_end_s[:k]), cs.log_end_s[:k], day_end_s)
    codes = np.asarray(fleet)[cs.log_vehicle[:k]] if k else np.zeros(0, np.int64)
    for i in np.flatnonzero(np.isfinite(start) & (cs.log_energy_kwh[:k] > 0.0)):
        s, f, e_kwh = int(cs.log_site[i]), int(codes[i]), float(cs.log_energy_kwh[i])
        a, b = float(start[i]), max(float(end[i]), float(start[i]))
        if b <= a:  # an instantaneous session: all of it in its hour
            energy[s, int(a // SECONDS_PER_HOUR) % HOURS_PER_DAY, f] += e_kwh
            continue
        h = int(a // SECONDS_PER_HOUR)
        while h * SECONDS_PER_HOUR < b:
            overlap = min(b, (h + 1) * SECONDS_PER_HOUR) - max(a, h * SECONDS_PER_HOUR)
            if overlap > 0.0:
                energy[s, h % HOURS_PER_DAY, f] += e_kwh * overlap / (b - a)
            h += 1
    site_idx, hour, f_idx = np.nonzero(energy)
    return pd.DataFrame({
        "site_id": np.array(sites.site_id, dtype=object)[site_idx],
        "hour": hour.astype(np.int64),
        "fleet": names[f_idx],
        "energy_kwh": energy[site_idx, hour, f_idx],
    })
