"""Queue analytics for charger sizing: Erlang-C, queue simulation, plug sizing, plots.

Two independent answers to "how many plugs does a site need":

* **Erlang-C** (:func:`erlang_c_p_wait`, :func:`erlang_c_wait_min`,
  :func:`erlang_c_wait_quantile_min`, :func:`plugs_for_target`): the analytic M/M/c queue
  (Poisson arrivals, exponential plug times, ``c`` plugs, first come first served).
* **Simulation with the model's own queue kernel** (:func:`simulate_queue`,
  :func:`replay_queue`, :func:`size_sites`): customers become background rows of a
  pseudo fleet whose energy need equals ``power x service time`` with no taper and
  efficiency 1, so :func:`transport_sim.kernels.charging._advance_sites` reproduces the
  service time exactly; the kernel is event-exact inside a tick, so results do not depend
  on ``tick_s`` (up to rounding).

Units: arrivals per hour, service and wait times in minutes, simulation clocks in seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from transport_sim.codes import BACKGROUND_FLEET_CODE, KERNEL_OK, KERNEL_STATUS_NAMES, STATUS_OFF
from transport_sim.errors import KernelError, ScenarioError, describe
from transport_sim.kernels.bundles import charge_log_bundle, fleet_bundle, site_bundle
from transport_sim.kernels.charging import ChargingState, _queue_run, charge_params
from transport_sim.kernels.state import FleetState
from transport_sim.units import MINUTES_PER_HOUR, SECONDS_PER_HOUR, SECONDS_PER_MINUTE

#: Plug power of the pseudo customers of queue-only runs (any value works; kW).
_QUEUE_POWER_KW = 100.0
#: Default warm-up of :func:`simulate_queue`: this share of the measured hours, and at
#: least ``WARMUP_MIN_SERVICES`` mean service times.
WARMUP_SHARE = 0.1
WARMUP_MIN_SERVICES = 50.0


# --------------------------------------------------------------------------------------
# Erlang-C, the M/M/c queue
# --------------------------------------------------------------------------------------
def _check_queue_inputs(arrivals_per_h: float, mean_service_min: float, plugs: int) -> float:
    """Validate and return the offered load in Erlangs (``arrivals x service``)."""
    if not (math.isfinite(arrivals_per_h) and arrivals_per_h >= 0.0):
        raise ScenarioError(
            describe(None, "arrivals_per_h", arrivals_per_h, "must be a finite number >= 0")
        )
    if not (math.isfinite(mean_service_min) and mean_service_min > 0.0):
        raise ScenarioError(
            describe(None, "mean_service_min", mean_service_min, "must be a finite number > 0")
        )
    if int(plugs) != plugs or plugs < 1:
        raise ScenarioError(describe(None, "plugs", plugs, "must be an integer >= 1"))
    return arrivals_per_h * mean_service_min / MINUTES_PER_HOUR


def _erlang_c(load_erl: float, plugs: int) -> float:
    """Probability of waiting for ``plugs`` servers and ``load_erl < plugs`` Erlangs."""
    if load_erl == 0.0:
        return 0.0
    erlang_b = 1.0
    for k in range(1, plugs + 1):  # stable recursion of Erlang B
        erlang_b = load_erl * erlang_b / (k + load_erl * erlang_b)
    return plugs * erlang_b / (plugs - load_erl * (1.0 - erlang_b))


def _stable_load(arrivals_per_h: float, mean_service_min: float, plugs: int) -> float:
    load = _check_queue_inputs(arrivals_per_h, mean_service_min, plugs)
    if load >= plugs:
        raise ScenarioError(
            describe(
                None, "arrivals_per_h", arrivals_per_h,
                f"utilisation {load / plugs:.3f} >= 1 with {plugs} plugs and "
                f"{mean_service_min} min per session: the queue grows without bound; "
                "add plugs or lower the demand",
            )
        )
    return load


def erlang_c_p_wait(arrivals_per_h: float, mean_service_min: float, plugs: int) -> float:
    """Return the M/M/c probability that an arriving customer has to wait (Erlang C).

    Parameters
    ----------
    arrivals_per_h
        Mean arrival rate (customers per hour, Poisson).
    mean_service_min
        Mean plug time per customer (minutes, exponential).
    plugs
        Number of plugs (servers).

    Raises
    ------
    ScenarioError
        On invalid inputs or utilisation ``arrivals x service / plugs >= 1``.
    """
    load = _stable_load(arrivals_per_h, mean_service_min, plugs)
    return _erlang_c(load, int(plugs))


def erlang_c_wait_min(arrivals_per_h: float, mean_service_min: float, plugs: int) -> float:
    """Return the M/M/c mean wait before a plug, minutes: ``C / (c mu - lambda)``.

    Raises
    ------
    ScenarioError
        On invalid inputs or utilisation >= 1.
    """
    load = _stable_load(arrivals_per_h, mean_service_min, plugs)
    c = int(plugs)
    mu_per_min = 1.0 / mean_service_min
    return _erlang_c(load, c) / (c * mu_per_min - arrivals_per_h / MINUTES_PER_HOUR)


def erlang_c_wait_quantile_min(
    arrivals_per_h: float, mean_service_min: float, plugs: int, q: float
) -> float:
    """Return the ``q`` quantile of the M/M/c wait, minutes.

    The wait distribution is ``P(W > t) = C exp(-(c mu - lambda) t)``, so the quantile is
    0 when ``q <= 1 - C`` and ``ln(C / (1 - q)) / (c mu - lambda)`` otherwise.

    Raises
    ------
    ScenarioError
        On invalid inputs, ``q`` outside [0, 1) or utilisation >= 1.
    """
    if not 0.0 <= q < 1.0:
        raise ScenarioError(describe(None, "q", q, "quantile must be in [0, 1)"))
    load = _stable_load(arrivals_per_h, mean_service_min, plugs)
    c = int(plugs)
    p_wait = _erlang_c(load, c)
    if p_wait <= 1.0 - q:
        return 0.0
    decay_per_min = c / mean_service_min - arrivals_per_h / MINUTES_PER_HOUR
    return math.log(p_wait / (1.0 - q)) / decay_per_min


def plugs_for_target(
    arrivals_per_h: float, mean_service_min: float, max_wait_p95_min: float
) -> int:
    """Return the smallest plug count whose M/M/c P95 wait is at most the target.

    Parameters
    ----------
    arrivals_per_h, mean_service_min
        Demand (customers per hour) and mean plug time (minutes).
    max_wait_p95_min
        Target: 95 % of customers wait at most this long (minutes, >= 0).

    Returns
    -------
    int
        At least 1.

    Raises
    ------
    ScenarioError
        On invalid inputs.
    """
    load = _check_queue_inputs(arrivals_per_h, mean_service_min, 1)
    if not (math.isfinite(max_wait_p95_min) and max_wait_p95_min >= 0.0):
        raise ScenarioError(
            describe(None, "max_wait_p95_min", max_wait_p95_min, "must be a number >= 0")
        )
    c = max(1, math.floor(load) + 1)
    while erlang_c_wait_quantile_min(arrivals_per_h, mean_service_min, c, 0.95) > (
        max_wait_p95_min
    ):
        c += 1
    return c


# --------------------------------------------------------------------------------------
# simulation with the model's queue kernel
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QueueResult:
    """Statistics of a simulated M/M/c charger queue (:func:`simulate_queue`).

    Attributes
    ----------
    sessions
        Customers counted (arrived after the warm-up, within the measured hours).
    wait_mean_min, wait_p95_min
        Mean and 95th percentile of their waits (minutes).
    p_wait
        Share of them that waited at all.
    utilisation
        Busy plug-time / (plugs x measured time), over the measured hours.
    max_queue
        Longest queue over the whole run (warm-up included).
    warmup_h
        Hours simulated before the measured period.
    """

    arrivals_per_h: float
    mean_service_min: float
    plugs: int
    hours: float
    warmup_h: float
    sessions: int
    wait_mean_min: float
    wait_p95_min: float
    p_wait: float
    utilisation: float
    max_queue: int


@dataclass(frozen=True)
class ReplayResult:
    """Outcome of :func:`replay_queue`.

    Attributes
    ----------
    arrive_s, start_s, end_s : float64[n_customers]
        Arrival, plug-in and plug-out of each customer (input order), seconds.
    max_queue : int32[n_sites]
        Longest queue per site.
    busy_s : float64[n_sites]
        Busy plug-seconds per site.
    """

    arrive_s: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    max_queue: np.ndarray
    busy_s: np.ndarray

    @property
    def wait_s(self) -> np.ndarray:
        """Wait of each customer, seconds."""
        return self.start_s - self.arrive_s


def replay_queue(
    arrive_s: np.ndarray,
    service_s: np.ndarray,
    plugs: int | np.ndarray,
    *,
    site: np.ndarray | None = None,
    tick_s: float = 60.0,
) -> ReplayResult:
    """Run given customers through the model's FIFO plug-queue kernel.

    Parameters
    ----------
    arrive_s
        Arrival times, seconds (any order).
    service_s
        Plug time of each customer, seconds (> 0).
    plugs
        Plugs of the single site, or of each site when ``site`` is given.
    site
        Site index of each customer (default: all at site 0).
    tick_s
        Tick of the run; results do not depend on it (event-exact kernel).

    Returns
    -------
    ReplayResult
        Start and end per customer (input order), and per site the longest queue and the
        busy plug-seconds.

    Raises
    ------
    ValueError
        On mismatched lengths or non-positive service times.
    KernelError
        If the kernel reports a failure.
    """
    arrive = np.asarray(arrive_s, np.float64)
    service = np.asarray(service_s, np.float64)
    n = arrive.shape[0]
    plugs_arr = np.atleast_1d(np.asarray(plugs, np.int64))
    site_arr = np.zeros(n, np.int32) if site is None else np.asarray(site, np.int32)
    if service.shape != (n,) or site_arr.shape != (n,):
        msg = "arrive_s, service_s and site must have the same length"
        raise ValueError(msg)
    if n and (not np.all(np.isfinite(arrive)) or not np.all(service > 0.0)):
        msg = "arrival times must be finite and service times > 0 s"
        raise ValueError(msg)
    if n and (site_arr.min() < 0 or site_arr.max() >= plugs_arr.size):
        msg = "site index out of range"
        raise ValueError(msg)
    power = np.full(plugs_arr.size, _QUEUE_POWER_KW)
    cs = ChargingState.allocate(plugs_arr, power, n, log_capacity=max(n, 1))
    customers = FleetState.allocate(n, 0)  # background rows: not queued, empty battery
    customers.fleet[:] = BACKGROUND_FLEET_CODE
    customers.status[:] = STATUS_OFF
    customers.battery_kwh[:] = service * (_QUEUE_POWER_KW / SECONDS_PER_HOUR)
    customers.max_charge_kw[:] = _QUEUE_POWER_KW
    customers.wait_until_s[:] = arrive
    customers.charge_site[:] = site_arr
    order = np.argsort(arrive, kind="stable").astype(np.int64)
    t0 = math.floor(arrive.min() / tick_s) * tick_s if n else 0.0
    horizon = (arrive.max() if n else 0.0) + service.sum() + 2.0 * tick_s
    # constant power to a full battery at efficiency 1: service time = battery / power
    params = charge_params(
        charge_to_soc=1.0, taper_start_soc=1.0, charger_efficiency=1.0, taper_floor=1.0
    )
    code, _ = _queue_run(
        t0, float(tick_s), float(horizon), order, fleet_bundle(customers), site_bundle(cs),
        charge_log_bundle(cs), params,
    )
    if code != KERNEL_OK:
        msg = f"queue replay failed: {KERNEL_STATUS_NAMES[code]}"
        raise KernelError(msg)
    rows = cs.n_sessions_logged
    start = np.empty(n)
    end = np.empty(n)
    start[cs.log_vehicle[:rows]] = cs.log_start_s[:rows]
    end[cs.log_vehicle[:rows]] = cs.log_end_s[:rows]
    return ReplayResult(
        arrive_s=arrive, start_s=start, end_s=end, max_queue=cs.site_max_queue.copy(),
        busy_s=cs.site_busy_s.copy(),
    )


def simulate_queue(
    arrivals_per_h: float,
    mean_service_min: float,
    plugs: int,
    hours: float,
    seed: int,
    tick_s: float = 10.0,
    warmup_h: float | None = None,
) -> QueueResult:
    """Simulate an M/M/c charger queue with the model's queue kernel.

    Poisson arrivals and exponential plug times are drawn from
    ``numpy.random.default_rng(seed)`` over ``warmup_h + hours``; every customer is
    served (the run continues after the last arrival until the queue is empty).
    Customers arriving in the first ``warmup_h`` hours are simulated but not counted, so
    the statistics describe the steady state rather than a queue that starts empty.

    Parameters
    ----------
    arrivals_per_h, mean_service_min, plugs
        M/M/c parameters (customers per hour, minutes, plugs).
    hours
        Measured hours (after the warm-up).
    seed
        Seed of the run's numpy Generator.
    tick_s
        Kernel tick, seconds (results do not depend on it).
    warmup_h
        Default: ``max(0.1 x hours, 50 mean service times)``.

    Returns
    -------
    QueueResult

    Raises
    ------
    ScenarioError
        On invalid inputs (utilisation >= 1 is allowed: the queue then grows).
    """
    _check_queue_inputs(arrivals_per_h, mean_service_min, plugs)
    if not (math.isfinite(hours) and hours > 0.0):
        raise ScenarioError(describe(None, "hours", hours, "must be a number > 0"))
    if not (math.isfinite(tick_s) and tick_s > 0.0):
        raise ScenarioError(describe(None, "tick_s", tick_s, "must be a number > 0"))
    if warmup_h is None:
        warmup_h = max(
            WARMUP_SHARE * hours, WARMUP_MIN_SERVICES * mean_service_min / MINUTES_PER_HOUR
        )
    if not (math.isfinite(warmup_h) and warmup_h >= 0.0):
        raise ScenarioError(describe(None, "warmup_h", warmup_h, "must be a number >= 0"))
    rng = np.random.default_rng(seed)
    horizon_s = (warmup_h + hours) * SECONDS_PER_HOUR
    n = int(rng.poisson(arrivals_per_h * (warmup_h + hours)))
    arrive = np.sort(rng.uniform(0.0, horizon_s, n))
    service = rng.exponential(mean_service_min * SECONDS_PER_MINUTE, n)
    service = np.maximum(service, 1e-6)
    res = replay_queue(arrive, service, int(plugs), tick_s=tick_s)
    t_w = warmup_h * SECONDS_PER_HOUR
    counted = arrive >= t_w
    wait_min = (res.start_s - arrive)[counted] / SECONDS_PER_MINUTE
    busy = np.clip(np.minimum(res.end_s, horizon_s) - np.maximum(res.start_s, t_w), 0.0, None)
    return QueueResult(
        arrivals_per_h=float(arrivals_per_h),
        mean_service_min=float(mean_service_min),
        plugs=int(plugs),
        hours=float(hours),
        warmup_h=float(warmup_h),
        sessions=int(counted.sum()),
        wait_mean_min=float(wait_min.mean()) if wait_min.size else 0.0,
        wait_p95_min=float(np.percentile(wait_min, 95)) if wait_min.size else 0.0,
        p_wait=float((wait_min > 0.0).mean()) if wait_min.size else 0.0,
        utilisation=float(busy.sum() / (plugs * hours * SECONDS_PER_HOUR)),
        max_queue=int(res.max_queue[0]),
    )


# --------------------------------------------------------------------------------------
# sizing from a simulated day
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SizingResult:
    """Output of :func:`size_sites`.

    Attributes
    ----------
    sites
        One row per site: site_id, (kind, name, plugs_current, power_kw when site info
        was given), sessions, peak_arrivals_per_h, mean_service_min, plugs_erlang,
        plugs_verified, wait_mean_min, wait_p95_min (replayed at ``plugs_verified``),
        peak_utilisation, power_needed_kw.
    curve
        Long table site_id, plugs, wait_p95_min, wait_mean_min (replay per plug count).
    """

    sites: pd.DataFrame
    curve: pd.DataFrame


_LOG_COLUMNS = ("site_id", "arrive_s", "start_s", "end_s")


def _service_times_s(grp: pd.DataFrame, day_end_s: float) -> np.ndarray:
    """Plug time per logged customer; estimated for sessions cut by the end of the day.

    Finished sessions: ``end - start``.  Still on the plug at the end of the day:
    ``max(elapsed, mean finished)``.  Never plugged in: the mean finished time (or, with
    no finished session at all, the mean elapsed time of the open ones, or 30 min).
    """
    start = grp["start_s"].to_numpy(np.float64)
    end = grp["end_s"].to_numpy(np.float64)
    done = np.isfinite(start) & np.isfinite(end)
    open_ = np.isfinite(start) & ~np.isfinite(end)
    elapsed = np.maximum(day_end_s - start[open_], 1.0)
    if done.any():
        mean_s = float(np.mean(end[done] - start[done]))
    elif open_.any():
        mean_s = float(np.mean(elapsed))
    else:
        mean_s = 30.0 * SECONDS_PER_MINUTE
    mean_s = max(mean_s, 1.0)
    service = np.full(start.shape[0], mean_s)
    service[done] = np.maximum(end[done] - start[done], 1e-6)
    service[open_] = np.maximum(elapsed, mean_s)
    return service


def _replay_waits_min(arrive: np.ndarray, service: np.ndarray, plugs: int,
                      tick_s: float) -> np.ndarray:
    res = replay_queue(arrive, service, plugs, tick_s=tick_s)
    return (res.start_s - arrive) / SECONDS_PER_MINUTE


def size_sites(
    session_log_df: pd.DataFrame,
    target_p95_min: float,
    hours: float = 24,
    *,
    site_info: pd.DataFrame | None = None,
    tick_s: float = 60.0,
    max_plugs: int = 500,
) -> SizingResult:
    """Propose plug counts per site from a simulated day's session log.

    For each site: the arrivals per hour at the busiest hour and the mean plug time of
    the logged sessions give an Erlang-C plug count (:func:`plugs_for_target`); it is
    then verified by replaying the *recorded* arrivals and plug times through the queue
    kernel with that many plugs and raised until the replayed P95 wait is at most the
    target.  The P95/mean wait curve against plugs (1 .. max(verified, current) + 2) is
    returned for plotting.

    Parameters
    ----------
    session_log_df
        Columns site_id, arrive_s, start_s, end_s (NaN when unknown), as written by
        :func:`transport_sim.charging.sites.session_log_frame`.
    target_p95_min
        Maximum acceptable 95th-percentile wait, minutes.
    hours
        Length of the simulated period (the day), hours.
    site_info
        Optional table with columns site_id, kind, name, plugs, power_kw (for example
        ``ChargerSites.to_frame()``): adds current plugs and power needed.
    tick_s
        Replay tick (results do not depend on it).
    max_plugs
        Give up (ScenarioError) above this many plugs.

    Returns
    -------
    SizingResult

    Raises
    ------
    ScenarioError
        On a negative target or a site that needs more than ``max_plugs``.
    ValueError
        When the log lacks a required column.
    """
    missing = [c for c in _LOG_COLUMNS if c not in session_log_df.columns]
    if missing:
        msg = f"session log lacks columns {missing}"
        raise ValueError(msg)
    if not (math.isfinite(target_p95_min) and target_p95_min >= 0.0):
        raise ScenarioError(
            describe(None, "max_wait_p95_min", target_p95_min, "must be a number >= 0")
        )
    info = None
    if site_info is not None:
        info = site_info.set_index("site_id")
    day_end_s = hours * SECONDS_PER_HOUR
    site_rows = []
    curve_rows = []
    for site_id, grp in session_log_df.groupby("site_id", sort=False):
        arrive = grp["arrive_s"].to_numpy(np.float64)
        service = _service_times_s(grp, day_end_s)
        n = arrive.shape[0]
        hour = np.clip((arrive // SECONDS_PER_HOUR).astype(np.int64), 0, max(int(hours) - 1, 0))
        peak = float(np.bincount(hour).max()) if n else 0.0
        mean_service_min = float(service.mean() / SECONDS_PER_MINUTE) if n else 0.0
        current = int(info.loc[site_id, "plugs"]) if info is not None else 0
        if n == 0:
            c_erlang = c_verified = 1
            waits = np.zeros(0)
        else:
            c_erlang = plugs_for_target(peak, mean_service_min, target_p95_min)
            c_verified = c_erlang
            while True:
                waits = _replay_waits_min(arrive, service, c_verified, tick_s)
                if float(np.percentile(waits, 95)) <= target_p95_min + 1e-9:
                    break
                c_verified += 1
                if c_verified > max_plugs:
                    raise ScenarioError(
                        describe(None, "max_wait_p95_min", target_p95_min,
                                 f"site {site_id} needs more than {max_plugs} plugs")
                    )
        for c in range(1, max(c_verified, current) + 3):
            w = waits if c == c_verified else (
                _replay_waits_min(arrive, service, c, tick_s) if n else np.zeros(0)
            )
            curve_rows.append({
                "site_id": site_id,
                "plugs": c,
                "wait_p95_min": float(np.percentile(w, 95)) if n else 0.0,
                "wait_mean_min": float(w.mean()) if n else 0.0,
            })
        row = {"site_id": site_id}
        if info is not None:
            row |= {
                "kind": info.loc[site_id, "kind"],
                "name": info.loc[site_id, "name"],
                "plugs_current": current,
                "power_kw": float(info.loc[site_id, "power_kw"]),
            }
        row |= {
            "sessions": n,
            "peak_arrivals_per_h": peak,
            "mean_service_min": mean_service_min,
            "plugs_erlang": c_erlang,
            "plugs_verified": c_verified,
            "wait_mean_min": float(waits.mean()) if n else 0.0,
            "wait_p95_min": float(np.percentile(waits, 95)) if n else 0.0,
            "peak_utilisation": peak * mean_service_min / MINUTES_PER_HOUR / c_verified,
        }
        if info is not None:
            row["power_needed_kw"] = c_verified * row["power_kw"]
        site_rows.append(row)
    return SizingResult(sites=pd.DataFrame(site_rows), curve=pd.DataFrame(curve_rows))


def plot_sizing(
    curve_df: pd.DataFrame,
    out_png: str | Path,
    target_p95_min: float | None = None,
    *,
    title: str | None = None,
) -> Path:
    """Plot the P95 wait against plugs per site (seaborn, 150 dpi PNG).

    Parameters
    ----------
    curve_df
        ``SizingResult.curve`` (site_id, plugs, wait_p95_min).
    out_png
        Output file.
    target_p95_min
        Draw the target as a dashed line.
    title
        Figure title.

    Returns
    -------
    Path
        The written file.
    """
    import seaborn as sns
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    out = Path(out_png)
    fig = Figure(figsize=(8.0, 5.0))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    n_sites = curve_df["site_id"].nunique() if len(curve_df) else 0
    if n_sites:
        sns.lineplot(
            data=curve_df, x="plugs", y="wait_p95_min", hue="site_id", marker="o", ax=ax,
            legend=n_sites <= 20,
        )
    if target_p95_min is not None:
        ax.axhline(target_p95_min, color="black", linestyle="--", linewidth=1.0,
                   label=f"target {target_p95_min:g} min")
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_xlabel("plugs")
    ax.set_ylabel("P95 wait (min, replayed)")
    ax.set_title(title or "Charger sizing: 95th-percentile wait against plugs")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small", ncol=2)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=150)
    return out
