"""Energy kernels: energy drawn over a distance, battery-limited distance, day totals.

The two scalar helpers are the only place where the movement kernel turns metres into
kWh and back, so that the energy balance of a vehicle (``soc`` drawn down == energy
counted) holds by construction.  :func:`totals_by_group` aggregates per-vehicle counters
(``energy_kwh``, ``odometer_m``, ``tkm``, ...) into per-group sums for the result rows.

Units: metres, kWh, kWh per metre.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from transport_sim.codes import KERNEL_BAD_STATE, KERNEL_OK, KERNEL_STATUS_NAMES
from transport_sim.errors import KernelError
from transport_sim.kernels.bundles import PYTHON_ENTRY

__all__ = ["battery_limited_distance_m", "energy_for_distance_kwh", "totals_by_group"]


@njit(cache=True, nogil=True, _nrt=False, **PYTHON_ENTRY)
def energy_for_distance_kwh(distance_m: float, kwh_per_m: float) -> float:
    """Return the energy (kWh) drawn over ``distance_m`` metres at ``kwh_per_m`` kWh/m.

    Parameters
    ----------
    distance_m
        Distance driven (m), >= 0.
    kwh_per_m
        Specific consumption of the vehicle's spec on the edge's road class (kWh/m).

    Returns
    -------
    float
        ``distance_m * kwh_per_m`` (kWh).
    """
    return distance_m * kwh_per_m


@njit(cache=True, nogil=True, _nrt=False, **PYTHON_ENTRY)
def battery_limited_distance_m(soc_kwh: float, kwh_per_m: float) -> float:
    """Return the distance (m) a battery holding ``soc_kwh`` kWh lasts at ``kwh_per_m``.

    Parameters
    ----------
    soc_kwh
        Energy left in the battery (kWh), >= 0.
    kwh_per_m
        Specific consumption (kWh/m); must be > 0 (the movement kernel only calls this
        when the energy of a step exceeds the state of charge, which implies it).

    Returns
    -------
    float
        ``soc_kwh / kwh_per_m`` (m).
    """
    return soc_kwh / kwh_per_m


@njit(cache=True, nogil=True, **PYTHON_ENTRY)
def _energy_totals(values: np.ndarray, group: np.ndarray, out: np.ndarray) -> int:
    """Sum per-vehicle quantities into per-group totals (the compiled body).

    Parameters
    ----------
    values : float64[n_quantities, n_vehicles]
        Per-vehicle counters, one row per quantity (e.g. ``energy_kwh``, ``odometer_m``,
        ``tkm``), in their own units.
    group : int64[n_vehicles]
        Group code of each vehicle (a spec row, or a fleet/powertrain code), in
        ``[0, n_groups)``.
    out : float64[n_quantities, n_groups]
        Output, overwritten: ``out[q, g]`` is the sum of ``values[q, v]`` over the vehicles
        of group ``g``, added in vehicle index order (deterministic).

    Returns
    -------
    int
        ``KERNEL_OK``, or ``KERNEL_BAD_STATE`` when a group code is out of range (``out``
        is then incomplete).
    """
    n_quantities = values.shape[0]
    n_vehicles = values.shape[1]
    n_groups = out.shape[1]
    for q in range(n_quantities):
        for g in range(n_groups):
            out[q, g] = 0.0
    for v in range(n_vehicles):
        g = group[v]
        if g < 0 or g >= n_groups:
            return KERNEL_BAD_STATE
        for q in range(n_quantities):
            out[q, g] += values[q, v]
    return KERNEL_OK


def totals_by_group(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Return per-group sums of per-vehicle quantities.

    Parameters
    ----------
    values
        ``float[n_vehicles]`` for one quantity, or ``float[n_quantities, n_vehicles]``
        (for example ``np.stack([state.energy_kwh, state.odometer_m, state.tkm])``).
    group
        Integer group code per vehicle, in ``[0, n_groups)``.
    n_groups
        Number of groups (>= 0).

    Returns
    -------
    numpy.ndarray
        ``float64[n_groups]`` (1-D input) or ``float64[n_quantities, n_groups]``: sums in
        the units of ``values``, accumulated in vehicle index order.

    Raises
    ------
    ValueError
        If the shapes disagree, ``group`` is not integer, ``n_groups`` is negative or a
        group code is outside ``[0, n_groups)``.
    KernelError
        If the compiled kernel reports an inconsistency (a bug).
    """
    vals = np.asarray(values, dtype=np.float64)
    grp = np.asarray(group)
    one_d = vals.ndim == 1
    if one_d:
        vals = vals[np.newaxis, :]
    if vals.ndim != 2:
        msg = f"values must be 1-D or 2-D, got shape {np.shape(values)}"
        raise ValueError(msg)
    if grp.ndim != 1 or grp.shape[0] != vals.shape[1]:
        msg = f"group must have shape ({vals.shape[1]},), got {grp.shape}"
        raise ValueError(msg)
    if grp.size and not np.issubdtype(grp.dtype, np.integer):
        msg = f"group must hold integers, got dtype {grp.dtype}"
        raise ValueError(msg)
    if int(n_groups) < 0:
        msg = f"n_groups must be >= 0, got {n_groups}"
        raise ValueError(msg)
    if grp.size and (int(grp.min()) < 0 or int(grp.max()) >= int(n_groups)):
        bad = grp[(grp < 0) | (grp >= n_groups)]
        msg = f"group code {int(bad[0])} outside [0, {int(n_groups)})"
        raise ValueError(msg)
    out = np.empty((vals.shape[0], int(n_groups)), np.float64)
    code = _energy_totals(
        np.ascontiguousarray(vals), np.ascontiguousarray(grp, dtype=np.int64), out
    )
    if code != KERNEL_OK:
        msg = f"_energy_totals returned {KERNEL_STATUS_NAMES[code]!r}"
        raise KernelError(msg)
    return out[0] if one_d else out
