"""Bus timetables: a line's departures and their chaining into vehicle blocks (compiled).

:func:`line_departures` and :func:`blocks_for_line` validate their inputs and call the
compiled loops.  Building a day's bus plan calls them for every line at every step of a
bisection on the headway (:func:`transport_sim.demand.generators.bus_day`), which as
plain Python was the largest part of building a small day and held the GIL while other
days ran on other threads.  The plain-Python twins live in
``tests/kernels/test_timetable.py``; the compiled loops do the same floating-point
operations in the same order, so the results are identical, not just close.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from transport_sim.kernels.bundles import PYTHON_ENTRY
from transport_sim.units import SECONDS_PER_HOUR

#: Hours of the day (the ``peak`` mask has one entry per hour).
HOURS_PER_DAY = 24


@njit(cache=True, nogil=True, **PYTHON_ENTRY)
def _departures(
    start_s: float,
    end_s: float,
    headway_s: float,
    peak_ratio: float,
    peak: np.ndarray,
    offset_s: float,
    out: np.ndarray,
) -> int:
    """Write the departure times (s) into ``out``; return their number, or -1 if it is too short."""
    n = 0
    t = start_s + offset_s
    while t < end_s:
        if n >= out.shape[0]:
            return -1
        out[n] = t
        n += 1
        hour = int(t // SECONDS_PER_HOUR) % HOURS_PER_DAY
        t += headway_s * (peak_ratio if peak[hour] else 1.0)
    return n


@njit(cache=True, nogil=True, **PYTHON_ENTRY)
def _blocks(
    departs: np.ndarray,
    cycle_s: float,
    cycle_km: float,
    block_km: float,
    block_of: np.ndarray,
    free_at: np.ndarray,
    km: np.ndarray,
) -> int:
    """Write each departure's block into ``block_of``; return the number of blocks.

    ``free_at`` and ``km`` (float64, at least as long as ``departs``) are scratch.
    """
    n_blocks = 0
    for j in range(departs.shape[0]):
        t = departs[j]
        best = -1
        for i in range(n_blocks):
            if free_at[i] <= t and km[i] + cycle_km <= block_km * 1.0001 and (
                best < 0 or km[i] > km[best]
            ):
                best = i
        if best < 0:
            free_at[n_blocks] = 0.0
            km[n_blocks] = 0.0
            best = n_blocks
            n_blocks += 1
        block_of[j] = best
        free_at[best] = t + cycle_s
        km[best] += cycle_km
    return n_blocks


def line_departures(
    start_s: float, end_s: float, headway_s: float, peak_ratio: float, peak: np.ndarray,
    offset_s: float,
) -> np.ndarray:
    """Return one line's departure times (s since midnight, float64).

    ``headway_s`` off-peak, ``headway_s x peak_ratio`` in the hours where ``peak`` (24
    booleans) is true, from ``start_s + offset_s`` until before ``end_s``.

    Raises
    ------
    ValueError
        If ``headway_s`` or ``peak_ratio`` is not positive and finite, or ``peak`` does
        not have 24 entries.
    """
    headway_s, peak_ratio = float(headway_s), float(peak_ratio)
    if not (np.isfinite(headway_s) and headway_s > 0 and np.isfinite(peak_ratio)
            and peak_ratio > 0):
        msg = f"headway_s = {headway_s}, peak_ratio = {peak_ratio}: must be positive"
        raise ValueError(msg)
    mask = np.ascontiguousarray(peak, dtype=np.bool_)
    if mask.shape != (HOURS_PER_DAY,):
        msg = f"peak: expected {HOURS_PER_DAY} hourly flags, got shape {mask.shape}"
        raise ValueError(msg)
    start, end, offset = float(start_s), float(end_s), float(offset_s)
    step = headway_s * min(peak_ratio, 1.0)
    size = max(0, int((end - start - offset) / step)) + 2
    while True:
        out = np.empty(size, np.float64)
        n = _departures(start, end, headway_s, peak_ratio, mask, offset, out)
        if n >= 0:
            return out[:n].copy()
        size *= 2  # rounding of the running sum: a departure more than the estimate


def blocks_for_line(
    departs: np.ndarray, cycle_s: float, cycle_km: float, block_km: float
) -> list[list[float]]:
    """Chain a line's departures into vehicle blocks of about ``block_km`` each.

    Greedy in time order: a departure goes to the bus that is back at the terminal and
    has driven the most while staying within ``block_km`` (a bus leaves service once
    one more round trip would take it past ``block_km``); else a new bus pulls out.

    Returns
    -------
    list of list of float
        The departure times (s) of each block, blocks in order of pull-out.
    """
    dep = np.ascontiguousarray(departs, dtype=np.float64)
    if dep.ndim != 1:
        msg = f"departs: expected a 1-d array, got shape {dep.shape}"
        raise ValueError(msg)
    n = dep.shape[0]
    block_of = np.empty(n, np.int64)
    n_blocks = _blocks(dep, float(cycle_s), float(cycle_km), float(block_km), block_of,
                       np.empty(n, np.float64), np.empty(n, np.float64))
    blocks: list[list[float]] = [[] for _ in range(n_blocks)]
    for t, b in zip(dep.tolist(), block_of.tolist(), strict=True):  # time order per block
        blocks[b].append(t)
    return blocks
