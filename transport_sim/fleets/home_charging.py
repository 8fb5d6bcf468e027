"""``[charging]`` of the fleet file: home-base plugs per battery vehicle, by fleet and class.

::

    [charging.bus.standard]
    plugs_per_vehicle = 0.5   # plugs the operator builds per battery vehicle in service
    power_kw = 150.0          # power per plug

The section is optional (a fleet file without it gives no home-base plugs; a run then
fails with a one-line error when a class with battery vehicles needs them).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from transport_sim.codes import FLEETS
from transport_sim.fleets.specs import HomeChargingSpec

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from transport_sim.errors import FleetError
    from transport_sim.fleets.specs import FleetSpec

#: Fields of one ``[charging.<fleet>.<class>]`` table and their upper bounds.
FIELDS = {"plugs_per_vehicle": 5.0, "power_kw": 5000.0}


def parse_home_charging(
    data: object,
    fleets: Mapping[str, FleetSpec],
    fail: Callable[[str, object, str], FleetError],
) -> dict[tuple[str, str], HomeChargingSpec]:
    """Validate ``[charging]`` and return ``{(fleet, class): HomeChargingSpec}``.

    Parameters
    ----------
    data
        The ``charging`` table of the fleet file (``None`` when absent).
    fleets
        The parsed fleets (their size classes).
    fail
        ``fail(dotted, value, problem)`` returns the loader's one-line error.
    """
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise fail("charging", data, "expected a table")
    out: dict[tuple[str, str], HomeChargingSpec] = {}
    for fleet, table in data.items():
        if fleet == "sources":
            continue
        if fleet not in FLEETS or not isinstance(table, dict):
            raise fail(f"charging.{fleet}", table, f"expected a table per fleet of {FLEETS}")
        for cname, entry in table.items():
            where = f"charging.{fleet}.{cname}"
            if cname not in fleets[fleet].classes:
                raise fail(where, None, f"no such class of [{fleet}]")
            if not isinstance(entry, dict) or set(entry) != set(FIELDS):
                raise fail(where, entry, f"expected exactly: {', '.join(FIELDS)}")
            values = {}
            for key, hi in FIELDS.items():
                value = entry[key]
                ok = isinstance(value, (int, float)) and not isinstance(value, bool)
                if not ok or not math.isfinite(value) or not 0.0 <= value <= hi:
                    raise fail(f"{where}.{key}", value, f"expected a number in 0..{hi:g}")
                values[key] = float(value)
            if values["power_kw"] <= 0.0:
                raise fail(f"{where}.power_kw", values["power_kw"], "must be > 0")
            out[(fleet, cname)] = HomeChargingSpec(**values)
    return out
