"""Free-flow speeds: OSM ``maxspeed`` parsing and the default speed table for China.

The one table of defaults is :data:`DEFAULT_SPEED_KPH`; it is used when an edge has no
usable ``maxspeed`` tag.  Values are typical free-flow speeds on Chinese roads of each
class (design speeds of GB 50220 urban roads and JTG B01 highways, rounded down for
mountain terrain); links (ramps) are slower than their main road.

=============  ==============  ==============  =======================================
road class     main road km/h  ``*_link`` km/h  OSM ``highway`` values
=============  ==============  ==============  =======================================
expressway     110             60              motorway, motorway_link
national       70              50              trunk, trunk_link
provincial     60              40              primary, primary_link
arterial       50              40              secondary, secondary_link
collector      40              30              tertiary, tertiary_link
local          30              30              residential, unclassified, service, ...
=============  ==============  ==============  =======================================

Ships do not take speeds from OSM: every water edge gets :data:`DEFAULT_SHIP_SPEED_KPH`
(a slow reservoir passenger boat, 8 kn) and the model overrides it per vessel type.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from types import MappingProxyType
from typing import Final

from transport_sim.codes import OSM_HIGHWAY_CLASS

__all__ = [
    "DEFAULT_SHIP_SPEED_KPH",
    "DEFAULT_SPEED_KPH",
    "MAX_PLAUSIBLE_SPEED_KPH",
    "MIN_PLAUSIBLE_SPEED_KPH",
    "default_speed_kph",
    "edge_speed_kph",
    "parse_maxspeed_kph",
]

#: road class -> (main road, link road) default free-flow speed in km/h.
DEFAULT_SPEED_KPH: Final = MappingProxyType(
    {
        "expressway": (110.0, 60.0),
        "national": (70.0, 50.0),
        "provincial": (60.0, 40.0),
        "arterial": (50.0, 40.0),
        "collector": (40.0, 30.0),
        "local": (30.0, 30.0),
    }
)
#: Default cruising speed of every water edge in km/h (about 8 knots).
DEFAULT_SHIP_SPEED_KPH: Final = 15.0
#: ``maxspeed`` values outside this range are treated as tagging errors and ignored.
MIN_PLAUSIBLE_SPEED_KPH: Final = 5.0
MAX_PLAUSIBLE_SPEED_KPH: Final = 150.0

_KPH_PER_MPH: Final = 1.609344
_KPH_PER_KNOT: Final = 1.852
_NUMBER_UNIT: Final = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(km/h|kmh|kph|mph|knots|kn)?\s*$")


def default_speed_kph(highway: str) -> float:
    """Return the default free-flow speed in km/h of an OSM ``highway=*`` value.

    Unknown values get the ``local`` speed.
    """
    road_class = OSM_HIGHWAY_CLASS.get(highway, "local")
    main_kph, link_kph = DEFAULT_SPEED_KPH[road_class]
    return link_kph if highway.endswith("_link") else main_kph


def _parse_one(text: str) -> float | None:
    """Parse one ``maxspeed`` value (no ``;``) to km/h, or ``None`` when not numeric."""
    match = _NUMBER_UNIT.match(text)
    if match is None:
        # "CN:urban", "RU:rural", "none", "signals", "walk", "variable": no number, so the
        # class default applies.
        return None
    value = float(match.group(1).replace(",", "."))
    unit = match.group(2)
    if unit == "mph":
        value *= _KPH_PER_MPH
    elif unit in {"knots", "kn"}:
        value *= _KPH_PER_KNOT
    if not MIN_PLAUSIBLE_SPEED_KPH <= value <= MAX_PLAUSIBLE_SPEED_KPH:
        return None
    return value


def parse_maxspeed_kph(value: object) -> float | None:
    """Parse an OSM ``maxspeed`` tag (or osmnx's list of them) to km/h.

    Accepts ``"60"``, ``"60 km/h"``, ``"30 mph"``, ``"10 knots"``, ``"60;80"`` and lists
    (the minimum of the numeric parts is returned).  Zone values such as ``"CN:urban"``,
    ``"none"`` or ``"signals"`` and implausible numbers give ``None`` (use the default).
    """
    if value is None:
        return None
    if isinstance(value, str):
        parts: Iterable[object] = value.split(";")
    elif isinstance(value, Iterable):
        parts = value
    else:
        parts = [str(value)]
    speeds = []
    for part in parts:
        if isinstance(part, str) and ";" in part:
            nested = parse_maxspeed_kph(part)
            if nested is not None:
                speeds.append(nested)
            continue
        parsed = _parse_one(str(part))
        if parsed is not None and math.isfinite(parsed):
            speeds.append(parsed)
    return min(speeds) if speeds else None


def edge_speed_kph(highway: str, maxspeed: object) -> float:
    """Return the free-flow speed in km/h of an edge: its ``maxspeed`` or the default."""
    parsed = parse_maxspeed_kph(maxspeed)
    return parsed if parsed is not None else default_speed_kph(highway)
