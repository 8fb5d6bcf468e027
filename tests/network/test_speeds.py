"""Speeds: maxspeed parsing and the default table."""

from __future__ import annotations

import pytest

from transport_sim.codes import OSM_HIGHWAY_CLASS
from transport_sim.network.speeds import (
    DEFAULT_SPEED_KPH,
    default_speed_kph,
    edge_speed_kph,
    parse_maxspeed_kph,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("60", 60.0),
        ("60 km/h", 60.0),
        ("80kmh", 80.0),
        ("30 mph", 30 * 1.609344),
        ("10 knots", 18.52),
        ("60;80", 60.0),
        (["70", "50"], 50.0),
        (["CN:urban", "40"], 40.0),
        ("CN:urban", None),
        ("none", None),
        ("signals", None),
        ("", None),
        (None, None),
        ("999", None),
        ("2", None),
    ],
)
def test_parse_maxspeed(value: object, expected: float | None) -> None:
    got = parse_maxspeed_kph(value)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


def test_default_table_covers_every_drivable_class() -> None:
    for highway, road_class in OSM_HIGHWAY_CLASS.items():
        main_kph, link_kph = DEFAULT_SPEED_KPH[road_class]
        expected = link_kph if highway.endswith("_link") else main_kph
        assert default_speed_kph(highway) == expected
    assert DEFAULT_SPEED_KPH["expressway"][0] == 110.0
    assert DEFAULT_SPEED_KPH["local"][0] == 30.0


def test_edge_speed_uses_maxspeed_else_default() -> None:
    assert edge_speed_kph("primary", "45") == 45.0
    assert edge_speed_kph("primary", "CN:urban") == DEFAULT_SPEED_KPH["provincial"][0]
    assert edge_speed_kph("motorway_link", None) == DEFAULT_SPEED_KPH["expressway"][1]
