"""The units module: exact definitions, and no conversion literal outside it."""

from __future__ import annotations

import ast
import math
from pathlib import Path

from transport_sim import units

PACKAGE = Path(__file__).resolve().parents[1] / "transport_sim"
#: Literals that are conversions (and so belong in units.py) wherever they appear.
CONVERSION_LITERALS = {3.6, 3600.0, 86400.0}
#: Same numbers that are not conversions: (module, value) -> why.
NOT_CONVERSIONS = {
    ("sweep/figures.py", 3.6): "figure height in inches",
    ("sweep/execute.py", 3600.0): "h:mm:ss formatting of an integer number of seconds",
}


def test_definitions_are_exact() -> None:
    assert units.SECONDS_PER_HOUR == units.MINUTES_PER_HOUR * units.SECONDS_PER_MINUTE
    assert units.SECONDS_PER_DAY == units.HOURS_PER_DAY * units.SECONDS_PER_HOUR
    # 1 km/h = 1000 m / 3600 s, so km/h per m/s is 3600 / 1000
    assert math.isclose(units.M_PER_KM / units.SECONDS_PER_HOUR * units.KPH_PER_MPS, 1.0)
    assert units.KPH_TO_MPS == 1.0 / 3.6  # the value the kernels were validated with
    assert units.MJ_PER_KWH == 3.6  # 1 kWh = 1000 W x 3600 s = 3.6e6 J
    assert units.G_PER_T == units.G_PER_KG * units.KG_PER_T
    assert units.T_PER_MT == units.T_PER_KT * 1000.0


def test_no_conversion_literal_outside_units() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "units.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and type(node.value) in (int, float)
                and float(node.value) in CONVERSION_LITERALS
                and (rel, float(node.value)) not in NOT_CONVERSIONS
            ):
                found.append(f"{rel}:{node.lineno}: {node.value!r}")
    assert not found, "use transport_sim.units instead of: " + "; ".join(found)
