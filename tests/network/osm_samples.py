"""Small hand-written OSM XML documents for the network tests."""

from __future__ import annotations


def node(osm_id: int, lon: float, lat: float, **tags: str) -> str:
    """One OSM XML node."""
    inner = "".join(f'<tag k="{k.replace("__", ":")}" v="{v}"/>' for k, v in tags.items())
    head = f'<node id="{osm_id}" lat="{lat:.7f}" lon="{lon:.7f}"'
    return f"{head}>{inner}</node>" if inner else f"{head}/>"


def way(osm_id: int, refs: list[int], **tags: str) -> str:
    """One OSM XML way."""
    nds = "".join(f'<nd ref="{r}"/>' for r in refs)
    inner = "".join(f'<tag k="{k.replace("__", ":")}" v="{v}"/>' for k, v in tags.items())
    return f'<way id="{osm_id}">{nds}{inner}</way>'


def dual_carriageway_with_service_area(*, as_area: bool = False) -> str:
    """Two one-way motorways 40 m apart (north- and southbound), joined at both ends by
    ramps through a local loop, with a service area between them.

    The roads run along longitude 110.5 from latitude 32.50 to 32.52; the service area
    sits at (110.5002, 32.51), 20 m east of the centre line.
    """
    lon_e, lon_w = 110.50022, 110.49978  # ~20 m east / west of 110.5
    parts = []
    # northbound carriageway (east side) 1..5, southbound (west side) 11..15
    for k in range(5):
        lat = 32.50 + 0.005 * k
        parts.append(node(1 + k, lon_e, lat))
        parts.append(node(11 + k, lon_w, 32.52 - 0.005 * k))
    parts.append(way(100, [1, 2, 3, 4, 5], highway="motorway", oneway="yes", ref="G1"))
    parts.append(way(101, [11, 12, 13, 14, 15], highway="motorway", oneway="yes", ref="G1"))
    # turnarounds through local roads at both ends so that everything is connected
    parts.append(node(21, 110.503, 32.5205))
    parts.append(node(22, 110.503, 32.4995))
    parts.append(way(102, [5, 21, 11], highway="primary"))
    parts.append(way(103, [15, 22, 1], highway="primary"))
    if as_area:
        corners = [
            (110.5001, 32.5095),
            (110.5003, 32.5095),
            (110.5003, 32.5105),
            (110.5001, 32.5105),
        ]
        for k, (lon, lat) in enumerate(corners):
            parts.append(node(31 + k, lon, lat))
        parts.append(way(104, [31, 32, 33, 34, 31], highway="services", name="Test SA"))
    else:
        parts.append(node(30, 110.5002, 32.51, highway="services", name="Test SA"))
    return "\n".join(parts)
