"""Shared run inputs: connectivity guards and what the embedded network yields."""

from __future__ import annotations

import numpy as np
import pytest

from transport_sim.demand.context import check_line_connected, check_site_reachable
from transport_sim.errors import UnreachableError

INF = np.inf


def test_disconnected_bus_stops_are_a_user_error() -> None:
    # three stops; stop 2 cannot be reached from stop 1
    time_s = np.array(
        [[0.0, 60.0, 90.0], [60.0, 0.0, 30.0], [INF, INF, 0.0]], np.float32
    )  # [target, node]; targets 0..2 are nodes 0..2
    with pytest.raises(UnreachableError) as info:
        check_line_connected("7", np.array([0, 1, 2]), np.array([0, 1, 2]), time_s, "net.osm")
    msg = str(info.value)
    assert "net.osm" in msg
    assert "bus line '7'" in msg
    assert "\n" not in msg


def test_connected_line_passes() -> None:
    time_s = np.array([[0.0, 5.0], [5.0, 0.0]], np.float32)
    check_line_connected("1", np.array([0, 1]), np.array([0, 1]), time_s, "net.osm")


def test_unreachable_charger_site_is_a_user_error() -> None:
    time_s = np.array([[0.0, INF], [INF, 0.0]], np.float32)
    with pytest.raises(UnreachableError, match="charger site 'Wudangshan SA'"):
        check_site_reachable("Wudangshan SA", np.array([1]), 0, time_s, "net.osm")
    check_site_reachable("ok", np.array([0, 1]), 0, time_s, "net.osm")
