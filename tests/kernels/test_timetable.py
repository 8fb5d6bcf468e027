"""Compiled bus timetables against their plain-Python twins: identical, not just close."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transport_sim.kernels.timetable import blocks_for_line, line_departures

HOUR_S = 3600.0


def departures_reference(start_s, end_s, headway_s, peak_ratio, peak, offset_s):
    """Plain-Python twin of :func:`line_departures` (the loop bus_day used to run)."""
    out = []
    t = start_s + offset_s
    while t < end_s:
        out.append(t)
        t += headway_s * (peak_ratio if peak[int(t // HOUR_S) % 24] else 1.0)
    return np.asarray(out, np.float64)


def blocks_reference(departs, cycle_s, cycle_km, block_km):
    """Plain-Python twin of :func:`blocks_for_line`."""
    blocks: list[list[float]] = []
    free_at: list[float] = []
    km: list[float] = []
    for t in departs:
        best = -1
        for i in range(len(blocks)):
            if free_at[i] <= t and km[i] + cycle_km <= block_km * 1.0001 and (
                best < 0 or km[i] > km[best]
            ):
                best = i
        if best < 0:
            blocks.append([])
            free_at.append(0.0)
            km.append(0.0)
            best = len(blocks) - 1
        blocks[best].append(float(t))
        free_at[best] = float(t) + cycle_s
        km[best] += cycle_km
    return blocks


PEAK = np.zeros(24, bool)
PEAK[[7, 8, 17, 18]] = True


def test_a_hand_checked_timetable() -> None:
    # 06:00-09:00 every 20 min, every 10 min from 07:00 (peak ratio 0.5)
    dep = line_departures(6 * HOUR_S, 9 * HOUR_S, 1200.0, 0.5, PEAK, 0.0)
    minutes = (dep / 60.0 - 360.0).tolist()
    assert minutes == [0, 20, 40, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170]
    # a 50-min round trip of 20 km, blocks of at most 40 km: two trips per bus
    blocks = blocks_for_line(dep, 3000.0, 20.0, 40.0)
    assert [len(b) for b in blocks] == [2] * 7 + [1]
    assert blocks[0] == [dep[0], dep[3]]  # back at 06:50, next free departure 07:00


@settings(max_examples=60, deadline=None)
@given(
    start_h=st.floats(0.0, 8.0), span_h=st.floats(0.0, 18.0),
    headway_s=st.floats(60.0, 4 * HOUR_S), ratio=st.floats(0.2, 1.5),
    offset_s=st.floats(0.0, 3000.0), peak_bits=st.integers(0, 2**24 - 1),
    cycle_s=st.floats(600.0, 20000.0), cycle_km=st.floats(1.0, 300.0),
    block_km=st.floats(1.0, 600.0),
)
def test_compiled_equals_python(start_h, span_h, headway_s, ratio, offset_s, peak_bits,
                                cycle_s, cycle_km, block_km) -> None:
    peak = np.array([(peak_bits >> h) & 1 for h in range(24)], bool)
    args = (start_h * HOUR_S, (start_h + span_h) * HOUR_S, headway_s, ratio, peak, offset_s)
    want = departures_reference(*args)
    got = line_departures(*args)
    assert got.dtype == np.float64
    assert np.array_equal(got, want)
    assert blocks_for_line(got, cycle_s, cycle_km, block_km) == blocks_reference(
        want, cycle_s, cycle_km, block_km)


def test_no_departures_and_bad_inputs() -> None:
    assert line_departures(10.0, 10.0, 60.0, 1.0, PEAK, 0.0).size == 0
    assert blocks_for_line(np.zeros(0), 100.0, 1.0, 10.0) == []
    with pytest.raises(ValueError, match="headway_s"):
        line_departures(0.0, 10.0, 0.0, 1.0, PEAK, 0.0)
    with pytest.raises(ValueError, match="peak"):
        line_departures(0.0, 10.0, 60.0, 1.0, PEAK[:5], 0.0)
