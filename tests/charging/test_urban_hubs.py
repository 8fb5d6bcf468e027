"""``charging.urban_hubs`` beyond the network's candidate locations (issue 13).

The pilot asks for 300 urban hubs; the schematic network offers 64 taxi-zone centres.
Every hub asked for must be simulated: locations host several hubs, busiest first.
"""

from __future__ import annotations

import numpy as np
import pytest

from transport_sim.charging.sites import SiteCandidate, build_sites, hub_slots
from transport_sim.kernels.charging import KIND_URBAN
from transport_sim.scenario.settings import ChargingSettings


def _cand(name: str, node: int, weight: float) -> SiteCandidate:
    return SiteCandidate(name=name, nodes=(node,), lon=110.8, lat=32.6, weight=weight,
                         site_id=f"urban:{node}")


def test_hub_slots_within_the_candidates_keep_the_busiest() -> None:
    assert hub_slots(np.array([5.0, 50.0, 20.0]), 2) == [(1, 1), (2, 1)]
    assert hub_slots(np.array([5.0]), 0) == []


def test_more_hubs_than_locations_are_hosted_busiest_first() -> None:
    assert hub_slots(np.array([5.0, 50.0, 20.0]), 7) == [(1, 3), (2, 2), (0, 2)]


def test_logistics_depots_are_never_doubled() -> None:
    slots = dict(hub_slots(np.array([np.inf, 10.0, 1.0]), 6))
    assert slots == {0: 1, 1: 3, 2: 2}
    with pytest.raises(ValueError, match="no public hub location"):
        hub_slots(np.array([np.inf]), 2)


@pytest.mark.parametrize("asked", [3, 64, 300])
def test_every_hub_asked_for_is_simulated_with_its_plugs(asked: int) -> None:
    urban = [_cand(f"hub {i}", 100 + i, weight=float(64 - i)) for i in range(64)]
    settings = ChargingSettings(urban_hubs=asked, urban_hub_plugs=8)
    sites = build_sites([], urban, [], [], settings, 2028, np.zeros(0))
    hubs = np.flatnonzero(sites.kind == KIND_URBAN)
    assert len(hubs) == min(asked, 64)  # one site per location (one access node each)
    assert int(sites.plugs[hubs].sum()) == 8 * asked
    per_location = sites.plugs[hubs] // 8
    assert per_location.max() - per_location.min() <= 1  # spread evenly, busiest first
    assert list(per_location) == sorted(per_location, reverse=True)
    if asked == 300:
        assert sites.name[hubs[0]] == "hub 0 (5 hubs)"
        sites.tables(1000, np.arange(1000))  # sites share no access node
