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


def test_freight_pairs_spread_the_data_weights_by_kind() -> None:
    """Each [freight_od] weight is spread evenly over its pairs; kinds are kept apart."""
    from types import SimpleNamespace

    from transport_sim.demand.context import (
        OD_DRAYAGE,
        OD_LONG_HAUL,
        OD_REGIONAL,
        OD_THROUGH,
        freight_pairs,
    )

    gates = [SimpleNamespace(node_in=100 + i, node_out=200 + i) for i in range(3)]
    industry, logistics, towns, yards = [1, 2], [3], [4, 5, 6, 7], [9]
    weights = {"gateway_hub": 3.0, "gateway_town": 1.5, "hub_local": 2.0, "plant_plant": 0.5}
    od = np.asarray(freight_pairs(gates, industry, logistics, towns, yards, weights))
    kind, w, dest = od[:, 4], od[:, 2], od[:, 1]
    long_haul = kind == OD_LONG_HAUL
    to_town = long_haul & np.isin(dest, towns)
    # per gateway: gateway_hub over the 3 hubs, gateway_town over the 4 towns
    assert w[long_haul & ~to_town] == pytest.approx(np.full(9, 3.0 / 3))
    assert w[to_town] == pytest.approx(np.full(12, 1.5 / 4))
    # through traffic: every ordered pair of distinct gateways, never a place in the city
    through = od[kind == OD_THROUGH]
    assert len(through) == 3 * 2
    assert set(through[:, 1].astype(int)) <= {200, 201, 202}
    # regional: hub_local from the logistics hub, plant_plant between plants
    regional = od[kind == OD_REGIONAL]
    assert regional[regional[:, 0] == 3][:, 2].sum() == pytest.approx(2.0)
    assert regional[np.isin(regional[:, 0], industry)][:, 2].sum() == pytest.approx(
        2 * 0.5 / 2)
    # drayage: the yard to the plants and the logistics hub only
    dray = od[kind == OD_DRAYAGE]
    assert set(dray[:, 0].astype(int)) == {9}
    assert set(dray[:, 1].astype(int)) == {1, 2, 3}
    # a weight of 0 removes its pairs' traffic (the data decides, not the code)
    od0 = np.asarray(freight_pairs(gates, industry, logistics, towns, yards,
                                   {**weights, "gateway_town": 0.0}))
    assert od0[(od0[:, 4] == OD_LONG_HAUL) & np.isin(od0[:, 1], towns)][:, 2].sum() == 0.0
