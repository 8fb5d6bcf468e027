"""What each fleet needs from the network, checked before a run (never a silent zero).

A real OSM extract may lack what a fleet's trips are built from: bus route relations,
navigable water with ports, expressway service areas and gateways.  Without them the
fleet's vehicles would stay in stock with 0 km and 0 CO2 and the totals would look
plausible but be wrong.  :func:`check_network_serves` refuses such a run with one line
naming the fleet and the missing feature, unless the scenario drops the fleet on purpose
with ``[run] drop_fleets = ["bus", ...]``; a dropped fleet gets no rows in the run's
tables and the report's headline names it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from transport_sim.codes import FLEETS
from transport_sim.errors import NetworkDataError, describe

if TYPE_CHECKING:
    from transport_sim.network import Network
    from transport_sim.scenario.settings import Scenario


def _bus_lines(net: Network) -> int:
    return sum(1 for r in net.bus_routes if len(set(r.stops)) >= 2)


def _water_edges(net: Network) -> int:
    return 0 if net.water is None else int(net.water.n_edges)


#: fleet -> (feature, how many the network has, how many the fleet needs), in check order.
FLEET_NEEDS: dict[str, tuple[tuple[str, Callable[[Network], int], int], ...]] = {
    "bus": (("bus route relations (route=bus) with at least two stops", _bus_lines, 1),),
    "ship": (
        ("navigable water ways (waterway=fairway or route=ferry)", _water_edges, 1),
        ("ports on the water network", lambda net: len(net.ports), 2),
    ),
    "truck": (
        ("expressway gateways (long-haul entries and exits)", lambda net: len(net.gateways), 1),
        ("expressway service areas (truck charging en route)",
         lambda net: len(net.service_areas), 1),
    ),
    "taxi": (),
}


def missing_features(network: Network, fleet: str) -> list[str]:
    """Return what ``network`` lacks for ``fleet`` (``[]`` when it can carry the fleet)."""
    missing = []
    for feature, count, needed in FLEET_NEEDS.get(fleet, ()):
        have = count(network)
        if have < needed:
            missing.append(f"{feature}: has {have}, needs at least {needed}")
    return missing


def check_network_serves(scenario: Scenario, network: Network) -> None:
    """Raise :class:`NetworkDataError` if a fleet the scenario keeps cannot run on ``network``.

    Raises
    ------
    NetworkDataError
        ``<network file>: network = <name>: fleet 'bus' needs ...; has 0 ...: add them to
        the network or set [run] drop_fleets = ["bus"] in <scenario>``.
    """
    dropped = set(scenario.run.drop_fleets)
    for fleet in FLEETS:
        if fleet in dropped:
            continue
        missing = missing_features(network, fleet)
        if missing:
            where = scenario.source.name if scenario.source is not None else "the scenario"
            raise NetworkDataError(describe(
                network.source, "network", network.source.name,
                f"fleet {fleet!r} needs {missing[0]}; add it to the network or drop the fleet "
                f'on purpose with [run] drop_fleets = ["{fleet}"] in {where}',
            ))
