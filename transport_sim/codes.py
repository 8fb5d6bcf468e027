"""The project's vocabulary: fleets, powertrains, carriers, road classes and status codes.

Kernels see these as small integers; everything user-facing uses the names.  The
integer code of a name is its position in the tuple, so the tuples must only ever grow
at the end.  Nothing here is mutable.
"""

from __future__ import annotations

from typing import Final

#: Fleets that move on the networks (agent types), in code order.
FLEETS: Final = ("bus", "taxi", "truck", "ship")
#: Fleet code of background charging customers (private EV cars at service areas): they
#: exist only as queue customers, never in fleet results.
BACKGROUND_FLEET: Final = "car"
BACKGROUND_FLEET_CODE: Final = len(FLEETS)

#: Through traffic: trucks of China's national mix crossing the network gateway to
#: gateway; driven as trucks (fleet code of ``truck``), reported as their own fleet.
THROUGH_FLEET: Final = "through_truck"
#: Fleet labels that may appear in result tables (rail freight is accounted, not simulated).
RESULT_FLEETS: Final = (*FLEETS, "rail_freight", THROUGH_FLEET)

#: Powertrains, in code order.  ``hybrid`` burns the fleet's conventional fuel (diesel for
#: buses, petrol for taxis); ``electric_rail``/``diesel_rail`` only appear in rail rows.
POWERTRAINS: Final = (
    "diesel",
    "petrol",
    "cng",
    "lng",
    "hybrid",
    "bev",
    "fcev",
    "electric_rail",
    "diesel_rail",
)
#: Powertrains that count as new-energy vehicles (NEV) in the plan's sense.
NEV_POWERTRAINS: Final = ("bev", "fcev")

#: Energy carriers and the unit each one is reported in.
CARRIER_UNITS: Final = {
    "diesel": "l",
    "petrol": "l",
    "cng": "kg",
    "lng": "kg",
    "electricity": "kwh",
    "hydrogen": "kg",
}
CARRIERS: Final = tuple(CARRIER_UNITS)

#: Road classes used by kernels (speed defaults, energy factors, time-of-day factors).
#: ``water`` is the class of every fairway / ferry edge.
ROAD_CLASSES: Final = (
    "expressway",  # motorway, motorway_link
    "national",  # trunk, trunk_link
    "provincial",  # primary, primary_link
    "arterial",  # secondary, secondary_link
    "collector",  # tertiary, tertiary_link
    "local",  # residential, unclassified, living_street, service, road
    "water",  # route=ferry, waterway=fairway
)
N_ROAD_CLASSES: Final = len(ROAD_CLASSES)
ROAD_CLASS_WATER: Final = ROAD_CLASSES.index("water")

#: OSM ``highway=*`` value -> road class name (drivable roads only).
OSM_HIGHWAY_CLASS: Final = {
    "motorway": "expressway",
    "motorway_link": "expressway",
    "trunk": "national",
    "trunk_link": "national",
    "primary": "provincial",
    "primary_link": "provincial",
    "secondary": "arterial",
    "secondary_link": "arterial",
    "tertiary": "collector",
    "tertiary_link": "collector",
    "residential": "local",
    "unclassified": "local",
    "living_street": "local",
    "service": "local",
    "road": "local",
}

#: Charger site kinds.
SITE_KINDS: Final = ("depot", "urban", "service_area", "port")

#: Day types simulated in each policy year.
DAY_TYPES: Final = ("weekday", "holiday")
#: Movement engines of the fused day loop (``run.movement``): ``"event"`` touches a vehicle
#: only when something happens to it (``kernels.events``), ``"tick"`` visits every vehicle
#: every tick (``kernels.day``, the reference); both give bit-identical days.
MOVEMENT_ENGINES: Final = ("event", "tick")

# --- per-vehicle status codes (FleetState.status) -------------------------------------
STATUS_OFF: Final = 0  # not in service yet today / parked for the night
STATUS_IDLE: Final = 1  # waiting for the next leg (taxi waiting for a request)
STATUS_MOVING: Final = 2  # driving or sailing toward its current target node
STATUS_DWELL: Final = 3  # at a stop, terminal, hub or port until ``wait_until_s``
STATUS_QUEUED: Final = 4  # waiting for a free plug at a charger site
STATUS_CHARGING: Final = 5  # on a plug
STATUS_STRANDED: Final = 6  # battery empty before reaching a charger; out for the day
STATUS_DONE: Final = 7  # finished its day's plan
STATUS_NAMES: Final = ("off", "idle", "moving", "dwell", "queued", "charging", "stranded", "done")

# --- kernel return codes ---------------------------------------------------------------
KERNEL_OK: Final = 0
KERNEL_NO_ROUTE: Final = 1  # a next-hop lookup found no edge toward the target
KERNEL_BAD_STATE: Final = 2  # inconsistent arrays (e.g. position beyond edge length)
KERNEL_QUEUE_OVERFLOW: Final = 3  # a charger queue exceeded its preallocated capacity
KERNEL_STATUS_NAMES: Final = ("ok", "no route", "bad state", "queue overflow")


def code_of(name: str, vocabulary: tuple[str, ...]) -> int:
    """Return the integer code of ``name`` in ``vocabulary`` (its index).

    Raises
    ------
    KeyError
        If ``name`` is not in ``vocabulary``.  Callers that handle user input must
        check membership first and raise a :class:`~transport_sim.errors.TransportSimError`.
    """
    return vocabulary.index(name)
