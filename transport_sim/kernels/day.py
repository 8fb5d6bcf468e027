"""The fused tick loop: dispatch -> charging decisions -> movement -> charging, for many ticks.

:func:`_run_ticks` calls the four compiled kernels in that order for each tick, so a
whole reporting interval runs without returning to Python.  It takes the day's
:class:`~transport_sim.kernels.bundles.DayBundle` (built once per day by
:meth:`transport_sim.sim.model.TransportModel.kernel_bundles`) and passes each kernel the
few bundles it needs.
"""

from __future__ import annotations

from numba import njit

from transport_sim.codes import KERNEL_OK, KERNEL_QUEUE_OVERFLOW
from transport_sim.kernels.bundles import PYTHON_ENTRY, DayBundle
from transport_sim.kernels.charging import _charging_decisions, _charging_tick
from transport_sim.kernels.dispatch import _dispatch_tick
from transport_sim.kernels.movement import _advance_tick
from transport_sim.units import SECONDS_PER_HOUR


@njit(cache=True, nogil=True, **PYTHON_ENTRY)
def _run_ticks(n_ticks: int, t0_s: float, dt_s: float, day: DayBundle) -> tuple[int, int]:
    """Run ``n_ticks`` ticks from ``t0_s``; return ``(status code, ticks completed)``.

    ``day.speed_factors`` is ``[24, n_road_classes]``; the movement kernel gets the row
    of each tick's hour.  ``day.bev_rows`` (int64) lists the battery-electric rows
    (charging decisions only visit them; rows are not grouped by powertrain).  The
    dispatch counts of each tick are added to ``day.dispatch.totals``.

    On ``KERNEL_QUEUE_OVERFLOW`` the tick that overflowed has run its dispatch, decisions
    and movement but not its charging part; the count returned excludes it, so the
    caller finishes that tick's charging (after growing the log) and continues.
    """
    vehicles, legs, net, specs = day.vehicles, day.legs, day.net, day.specs
    traffic, speed_factors, dispatch, taxi = day.traffic, day.speed_factors, day.dispatch, day.taxi
    tables, sites, log, charge = day.tables, day.sites, day.log, day.charge
    arrived, bev_rows, taxi_rows = day.arrived, day.bev_rows, day.taxi_rows
    dispatch_counts, dispatch_totals = dispatch.counts, dispatch.totals
    for k in range(n_ticks):
        t = t0_s + k * dt_s
        hour = int(t // SECONDS_PER_HOUR) % 24
        code = _dispatch_tick(vehicles, legs, net.target_time_s, dispatch, taxi, t, taxi_rows)
        if code != KERNEL_OK:
            return code, k
        dispatch_totals[0] += dispatch_counts[0]
        dispatch_totals[1] += dispatch_counts[1]
        if bev_rows.shape[0] > 0:
            code = _charging_decisions(
                t, dt_s, vehicles, legs, net, specs, tables, sites, charge, bev_rows
            )
            if code != KERNEL_OK:
                return code, k
        code = _advance_tick(
            vehicles, legs, net, specs, traffic, t, dt_s, speed_factors[hour], arrived
        )
        if code != KERNEL_OK:
            return code, k
        code = _charging_tick(t, dt_s, vehicles, arrived, sites, log, charge)
        if code == KERNEL_QUEUE_OVERFLOW:
            return code, k
        if code != KERNEL_OK:
            return code, k
    return KERNEL_OK, n_ticks
