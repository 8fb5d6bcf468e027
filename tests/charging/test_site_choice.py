"""Which candidate sites a year charges: coverage order, MCS companions, plug overrides.

Hand-made candidates; plug counts per site follow the battery fleets and are tested in
``test_year_sites.py``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from support import PLAN, small

from transport_sim.charging.sites import SiteCandidate
from transport_sim.charging.year_sites import build_year_sites
from transport_sim.fleets.reader import load_fleets_for

YEAR = 2025


def _cand(name: str, node: int, weight: float = 0.0, *more: int) -> SiteCandidate:
    return SiteCandidate(name=name, nodes=(node, *more), lon=110.8, lat=32.6, weight=weight)


def _context(depot_lines=(1.0, 3.0, 0.0)) -> SimpleNamespace:
    """Three depots, two logistics hubs, four urban zones, five service areas, two ports.

    Logistics candidates carry an infinite weight (as :mod:`transport_sim.demand.context`
    builds them), so that ranking by weight keeps them.  Service areas lie on a 100 km
    line between two gateways (at 0 and 100 km) at 10, 20, 50, 80 and 90 km; the busiest
    is the one at 10 km.
    """
    sa_km = [10.0, 20.0, 50.0, 80.0, 90.0]
    sa_weight = [900.0, 500.0, 100.0, 400.0, 300.0]
    points = np.array([*sa_km, 0.0, 100.0])
    return SimpleNamespace(
        depot_lines=np.asarray(depot_lines, np.float64),
        sites={
            "depot": [_cand("west", 1), _cand("centre", 2), _cand("east", 3)],
            # weight inf, as demand/context.py gives them: they rank before every zone
            "logistics": [_cand("hub A", 10, np.inf), _cand("plant B", 11, np.inf)],
            # zone at node 10 is the logistics hub's node: it is not counted twice
            "urban": [_cand("zone 1", 20, 5.0), _cand("zone 2", 21, 50.0),
                      _cand("zone 3", 10, 99.0), _cand("zone 4", 22, 20.0)],
            "service_area": [
                _cand(f"sa {km:g}", 30 + 2 * i, w, 31 + 2 * i)
                for i, (km, w) in enumerate(zip(sa_km, sa_weight, strict=True))
            ],
            "port": [_cand("danjiangkou", 50), _cand("yunxian", 51)],
        },
        service_area_distances_km=np.abs(points[:, None] - points[None, :]),
        targets=SimpleNamespace(node=np.arange(60, dtype=np.int32)[::-1].copy()),
    )  # fmt: skip


def _stock(bev_buses: int) -> pd.DataFrame:
    return pd.DataFrame({
        "year": [YEAR, YEAR, YEAR, YEAR + 1],
        "fleet": ["bus", "bus", "bus", "bus"],
        "size_class": ["standard", "midi", "standard", "standard"],
        "powertrain": ["bev", "bev", "diesel", "bev"],
        "vehicles": [bev_buses - bev_buses // 3, bev_buses // 3, 77, 999],
    })  # fmt: skip


def _scenario(**charging):
    return small(PLAN, **{f"charging__{k}": v for k, v in charging.items()})


def _by_kind(sites, kind: str) -> list[int]:
    return [i for i, k in enumerate(sites.kind_names()) if k == kind]






@pytest.mark.parametrize(
    ("order", "expected"),
    [("traffic", ["sa 10"]), ("gap", ["sa 50"])],
)
def test_coverage_choice(order: str, expected: list[str]) -> None:
    """One of five areas covered: the busiest (traffic) or the one closing the gap."""
    scen = _scenario(service_area_coverage=0.2, coverage_order=order,
                     service_area_mcs_plugs=0.0)  # fmt: skip
    sites = build_year_sites(_context(), scen, load_fleets_for(scen), _stock(10), YEAR)
    assert [sites.name[i] for i in _by_kind(sites, "service_area")] == expected


def test_coverage_share_and_megawatt_companions() -> None:
    scen = _scenario(service_area_coverage=0.6, coverage_order="traffic",
                     service_area_mcs_plugs=2.0, service_area_plugs=4)  # fmt: skip
    sites = build_year_sites(_context(), scen, load_fleets_for(scen), _stock(10), YEAR)
    sa = _by_kind(sites, "service_area")
    names = [sites.name[i] for i in sa]
    # round(0.6 x 5) = 3 areas by traffic, then one MCS companion each
    assert names == ["sa 10", "sa 20", "sa 80", "sa 10 (MCS)", "sa 20 (MCS)", "sa 80 (MCS)"]
    assert sites.plugs[sa].tolist() == [4, 4, 4, 2, 2, 2]
    assert sites.mcs_site[sa[:3]].tolist() == sa[3:]
    ports = _by_kind(sites, "port")
    assert len(ports) == 2


def test_targets_are_filled_and_overrides_replace_plugs() -> None:
    ctx = _context()
    scen = _scenario()
    sites = build_year_sites(ctx, scen, load_fleets_for(scen), _stock(50), YEAR)
    np.testing.assert_array_equal(ctx.targets.node[sites.target], sites.node)
    assert (sites.access_target >= 0).all()
    sid = sites.site_id[0]
    fleets = load_fleets_for(scen)
    changed = build_year_sites(ctx, scen, fleets, _stock(50), YEAR, plug_overrides={sid: 17})
    assert changed.plugs[0] == 17
    np.testing.assert_array_equal(changed.plugs[1:], sites.plugs[1:])
    assert changed.site_id == sites.site_id
