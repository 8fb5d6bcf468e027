"""OSM tag rules: which ways are drivable or navigable and which objects are features.

Every decision the loader takes on OSM tags is a function here, so the rules are in one
place and documented once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from transport_sim.codes import OSM_HIGHWAY_CLASS

__all__ = [
    "FEATURE_TAG_KEYS",
    "POI_KINDS",
    "PORT_KINDS",
    "ROAD_TAG_KEYS",
    "drivable_highway",
    "feature_name",
    "is_bus_route",
    "is_interesting",
    "poi_kind",
    "port_kind",
    "service_area_kind",
    "water_kind",
]

#: Way tags copied into the filtered XML that osmnx reads.
ROAD_TAG_KEYS: Final = ("highway", "oneway", "junction", "maxspeed", "name", "ref", "lanes")
#: Tags kept on features (everything else is dropped while reading).
FEATURE_TAG_KEYS: Final = (
    "name",
    "name:en",
    "name:zh",
    "ref",
    "highway",
    "amenity",
    "place",
    "man_made",
    "harbour",
    "leisure",
    "landuse",
    "industrial",
    "railway",
    "operator",
    "capacity",
    "fuel",
    "route",
    "type",
    "note",
)
#: Point-of-interest kinds, in report order.
POI_KINDS: Final = (
    "zone",
    "bus_station",
    "bus_stop",
    "industry",
    "logistics",
    "rail",
    "fuel",
    "charging_station",
)
#: Port kinds (``man_made=pier``, ``amenity=ferry_terminal``, ``harbour=*``, marinas).
PORT_KINDS: Final = ("pier", "ferry_terminal", "harbour", "marina")

_NO_ACCESS: Final = frozenset({"no", "private"})
_ZONE_PLACES: Final = frozenset({"city", "town", "suburb", "quarter", "neighbourhood", "village"})


def drivable_highway(tags: Mapping[str, str]) -> str | None:
    """Return the ``highway`` value of a way that motor vehicles may use, else ``None``.

    A way is drivable when ``highway`` is a key of
    :data:`transport_sim.codes.OSM_HIGHWAY_CLASS`, it is not an area (``area=yes``), and
    neither ``access`` nor ``motor_vehicle`` is ``no``/``private``.
    """
    highway = tags.get("highway")
    if highway not in OSM_HIGHWAY_CLASS:
        return None
    if tags.get("area") == "yes":
        return None
    if tags.get("access") in _NO_ACCESS or tags.get("motor_vehicle") in _NO_ACCESS:
        return None
    return highway


def water_kind(tags: Mapping[str, str]) -> str | None:
    """Return ``"ferry"`` (``route=ferry``) or ``"fairway"`` (``waterway=fairway``)."""
    if tags.get("route") == "ferry":
        return "ferry"
    if tags.get("waterway") == "fairway":
        return "fairway"
    return None


def service_area_kind(tags: Mapping[str, str]) -> str | None:
    """Return ``"services"`` or ``"rest_area"`` for expressway service / parking areas."""
    highway = tags.get("highway")
    return highway if highway in {"services", "rest_area"} else None


def port_kind(tags: Mapping[str, str]) -> str | None:
    """Return the port kind of a pier, ferry terminal, harbour or marina, else ``None``."""
    if tags.get("amenity") == "ferry_terminal":
        return "ferry_terminal"
    if tags.get("man_made") == "pier":
        return "pier"
    if tags.get("harbour", "no") != "no" or tags.get("landuse") == "harbour":
        return "harbour"
    if tags.get("leisure") == "marina":
        return "marina"
    return None


def poi_kind(tags: Mapping[str, str]) -> tuple[str, str] | None:  # noqa: PLR0911  (a rule table)
    """Return ``(kind, subkind)`` of a point of interest, else ``None``.

    ======================  ==================================================================
    kind                    tags
    ======================  ==================================================================
    ``zone``                ``place=city|town|suburb|quarter|neighbourhood|village``
    ``bus_station``         ``amenity=bus_station`` (terminals and depots)
    ``bus_stop``            ``highway=bus_stop``
    ``logistics``           ``industrial=logistics``
    ``rail``                ``railway=yard|station`` or ``landuse=railway``
    ``industry``            ``landuse=industrial`` or ``man_made=works``
    ``fuel``                ``amenity=fuel``
    ``charging_station``    ``amenity=charging_station``
    ======================  ==================================================================

    The subkind is the matching tag value (for example ``town`` or ``yard``).
    """
    place = tags.get("place")
    if place in _ZONE_PLACES:
        return "zone", place
    amenity = tags.get("amenity")
    if amenity == "bus_station":
        return "bus_station", amenity
    if tags.get("highway") == "bus_stop":
        return "bus_stop", "bus_stop"
    if tags.get("industrial") == "logistics":
        return "logistics", "logistics"
    railway = tags.get("railway")
    if railway in {"yard", "station"}:
        return "rail", railway
    if tags.get("landuse") == "railway":
        return "rail", "landuse"
    if tags.get("landuse") == "industrial":
        return "industry", "industrial"
    if tags.get("man_made") == "works":
        return "industry", "works"
    if amenity in {"fuel", "charging_station"}:
        return amenity, amenity
    return None


def is_bus_route(tags: Mapping[str, str]) -> bool:
    """Return whether the tags are those of a ``type=route`` + ``route=bus`` relation."""
    return tags.get("type") == "route" and tags.get("route") == "bus"


def feature_name(tags: Mapping[str, str], fallback: str) -> str:
    """Return the ``name`` (else ``name:zh``, ``name:en``, ``ref``) of a feature or ``fallback``."""
    for key in ("name", "name:zh", "name:en", "ref"):
        value = tags.get(key)
        if value:
            return value
    return fallback


def is_interesting(tags: Mapping[str, str]) -> bool:
    """Return whether a node or area is a service area, port or point of interest."""
    return (
        service_area_kind(tags) is not None
        or port_kind(tags) is not None
        or poi_kind(tags) is not None
    )
