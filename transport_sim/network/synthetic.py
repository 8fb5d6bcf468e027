"""Synthetic road networks of any size, written as OSM files for tests and scaling benchmarks.

:func:`write_synthetic_osm` writes a *synthetic* region — not a place, not OSM data — as an
``.osm`` or ``.osm.pbf`` file that the normal loader
(:func:`transport_sim.network.load_network`) reads exactly like a real extract:

* a jittered street grid of about ``n_nodes`` junctions, ``spacing_m`` apart, with a road
  hierarchy by line index (``primary`` every 50th line, ``secondary`` every 10th,
  ``tertiary`` every 5th, ``residential`` otherwise), ``maxspeed`` on the main classes and
  alternating ``oneway=yes`` on every fifth residential line (the grid stays strongly
  connected);
* two crossing expressways (``highway=motorway``, ``maxspeed=120``, refs G70 and G59) on
  their own nodes every 1 km, joined to the grid by ``motorway_link`` ramps every ~10 km and
  running 2 km past the grid on each side, so each of their four ends is an open end — a
  gateway for long-haul freight;
* expressway service areas (``highway=services``) every ~30 km along each expressway, on
  a short ``highway=service`` access road;
* places (one ``city``, twelve ``town``), bus stations, plants (``landuse=industrial``),
  logistics parks and a rail yard as tagged nodes;
* 33 bus routes (``type=route`` + ``route=bus`` relations with ``stop`` members on
  ``highway=bus_stop`` junctions) of 16 stops along the main streets around the city
  centre — the embedded Shiyan network's count of lines and about its ~530 stops;
* a reservoir fairway (``waterway=fairway``) with six ferry terminals.

So a scaling run keeps Shiyan's fleets and about the same number of targets while the road
graph grows.  The file is a deterministic function of its arguments (fixed seed), so the
network cache keys on it stably.  Every way and feature carries ``note=synthetic ...``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Final

import numpy as np

from transport_sim.units import M_PER_KM

__all__ = ["SYNTHETIC_GENERATOR", "SyntheticSpec", "write_synthetic_osm"]

#: ``generator`` attribute written into synthetic files.
SYNTHETIC_GENERATOR: Final = "transport_sim synthetic grid"
#: Centre of the synthetic region (lon, lat): Shiyan's urban centre, so that the
#: degree/metre conversion and the map look familiar.  Nothing else is Shiyan's.
_CENTRE_LONLAT: Final = (110.79, 32.63)
_EARTH_M_PER_DEG_LAT: Final = 111_320.0
#: First OSM id used (well above real OSM ids and the schematic's 9e9 range).
_FIRST_ID: Final = 20_000_000_000
_NOTE: Final = "synthetic grid for scaling tests, not real geometry"
_N_BUS_ROUTES: Final = 33
_STOPS_PER_ROUTE: Final = 16


class SyntheticSpec:
    """Grid geometry of a synthetic network (derived from the requested node count).

    Parameters
    ----------
    n_nodes
        Approximate number of street junctions (the grid is ``side x side``).
    spacing_m
        Distance between neighbouring junctions, metres.
    """

    def __init__(self, n_nodes: int, spacing_m: float = 200.0) -> None:
        if n_nodes < 400:
            msg = f"n_nodes = {n_nodes}: a synthetic network needs at least 400 junctions"
            raise ValueError(msg)
        if not spacing_m > 0.0:
            msg = f"spacing_m = {spacing_m}: must be > 0"
            raise ValueError(msg)
        self.side = math.ceil(math.sqrt(n_nodes))
        self.spacing_m = float(spacing_m)

    @property
    def extent_m(self) -> float:
        """Width (= height) of the grid, metres."""
        return (self.side - 1) * self.spacing_m


def _street_class(i: int) -> tuple[str, str | None]:
    """Highway class and ``maxspeed`` (km/h, as OSM writes it) of grid line ``i``."""
    if i % 50 == 0:
        return "primary", "60"
    if i % 10 == 0:
        return "secondary", "50"
    if i % 5 == 0:
        return "tertiary", "40"
    return "residential", None


class _Writer:
    """Assigns ids and collects nodes, ways and relations for osmium's writer."""

    def __init__(self, spec: SyntheticSpec) -> None:
        self.next_id = _FIRST_ID
        half = spec.extent_m / 2.0
        self.half = half
        self.m_per_deg_lon = _EARTH_M_PER_DEG_LAT * math.cos(math.radians(_CENTRE_LONLAT[1]))
        self.nodes: list[tuple[int, float, float, dict[str, str]]] = []
        self.ways: list[tuple[int, list[int], dict[str, str]]] = []
        self.relations: list[tuple[int, list[tuple[str, int, str]], dict[str, str]]] = []

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def lonlat(self, x_m: float, y_m: float) -> tuple[float, float]:
        """Coordinates of a point ``(x_m, y_m)`` from the grid's south-west corner."""
        lon = _CENTRE_LONLAT[0] + (x_m - self.half) / self.m_per_deg_lon
        lat = _CENTRE_LONLAT[1] + (y_m - self.half) / _EARTH_M_PER_DEG_LAT
        return round(lon, 7), round(lat, 7)

    def node(self, x_m: float, y_m: float, tags: dict[str, str] | None = None) -> int:
        nid = self.new_id()
        lon, lat = self.lonlat(x_m, y_m)
        self.nodes.append((nid, lon, lat, tags or {}))
        return nid

    def way(self, refs: list[int], tags: dict[str, str]) -> int:
        wid = self.new_id()
        self.ways.append((wid, refs, {**tags, "note": _NOTE}))
        return wid


def _grid(w: _Writer, spec: SyntheticSpec, rng: np.random.Generator) -> np.ndarray:
    """Junction nodes (jittered by up to 10 % of the spacing) and the street ways."""
    n, s = spec.side, spec.spacing_m
    jitter = rng.uniform(-0.1 * s, 0.1 * s, size=(n, n, 2))
    ids = np.empty((n, n), np.int64)
    for r in range(n):
        for c in range(n):
            ids[r, c] = w.node(c * s + jitter[r, c, 0], r * s + jitter[r, c, 1])
    for axis in (0, 1):  # rows (west-east streets), then columns (south-north)
        for i in range(n):
            line = [int(x) for x in (ids[i, :] if axis == 0 else ids[:, i])]
            highway, maxspeed = _street_class(i)
            tags = {"highway": highway, "name": f"{'EW' if axis == 0 else 'NS'} street {i}"}
            if maxspeed is not None:
                tags["maxspeed"] = maxspeed
            if highway == "residential" and i % 5 == 2:  # alternating one-way streets
                tags["oneway"] = "yes"
                if (i // 5) % 2:
                    line.reverse()
            w.way(line, tags)
    return ids


def _expressways(w: _Writer, spec: SyntheticSpec, ids: np.ndarray) -> list[list[tuple]]:
    """Two crossing expressways with ramps; returns each one's ``(node, x_m, y_m)`` list."""
    n, s = spec.side, spec.spacing_m
    ext = spec.extent_m
    step = 1000.0
    ks = np.arange(math.floor((ext + 4000.0) / step) + 1)
    along = -2000.0 + ks * step  # positions along either expressway, metres
    # G70 runs west-east a third of the way up; G59 south-north two thirds across.  Both
    # sit on the 1 km lattice of the other, so they cross at a shared node.
    y70 = float(along[np.argmin(np.abs(along - ext / 3.0))]) + s / 2.0
    x59 = float(along[np.argmin(np.abs(along - 2.0 * ext / 3.0))]) + s / 2.0
    cross = w.node(x59, y70)
    lines: list[list[tuple]] = []
    for ref, horizontal in (("G70", True), ("G59", False)):
        pts = []
        for a in along + s / 2.0:
            x, y = (a, y70) if horizontal else (x59, a)
            nid = cross if (x, y) == (x59, y70) else w.node(x, y)
            pts.append((nid, x, y))
        w.way([p[0] for p in pts], {"highway": "motorway", "ref": ref, "maxspeed": "120",
                                    "oneway": "no", "name": f"{ref} expressway"})
        for j, (nid, x, y) in enumerate(pts):
            inside = 0.0 <= x <= ext and 0.0 <= y <= ext
            if j % 10 == 5 and inside and nid != cross:  # an interchange every ~10 km
                r = min(n - 1, max(0, round(y / s)))
                c = min(n - 1, max(0, round(x / s)))
                w.way([nid, int(ids[r, c])], {"highway": "motorway_link", "oneway": "no",
                                             "name": f"{ref} interchange {j}"})
        lines.append(pts)
    return lines


def _features(w: _Writer, spec: SyntheticSpec, ids: np.ndarray, lines: list[list[tuple]],
              rng: np.random.Generator) -> None:
    """Service areas, places, bus stations, plants, logistics, rail, routes, water."""
    n, s, ext = spec.side, spec.spacing_m, spec.extent_m
    centre = ext / 2.0
    for line in lines:  # service areas beside the expressway every ~30 km, each on a
        # short two-way access road, so the expressway keeps a junction node beside it
        for j in range(min(15, len(line) // 2), len(line) - 2, 30):
            nid, x, y = line[j]
            access = w.node(x + 150.0, y + 150.0)
            w.way([nid, access], {"highway": "service", "oneway": "no",
                                  "name": f"service area access {j}"})
            w.node(x + 160.0, y + 160.0, {"highway": "services", "note": _NOTE,
                                          "name": f"services {len(w.nodes)}"})
    city_r = min(12_000.0, 0.3 * ext)  # the "city": bus lines and stations inside it

    def near_centre(radius: float) -> tuple[float, float]:
        ang, rad = rng.uniform(0, 2 * math.pi), radius * math.sqrt(rng.uniform())
        return centre + rad * math.cos(ang), centre + rad * math.sin(ang)

    w.node(centre + 30.0, centre + 30.0, {"place": "city", "name": "synthetic city",
                                          "note": _NOTE})
    for i in range(12):
        x, y = near_centre(0.45 * ext)
        w.node(x, y, {"place": "town", "name": f"town {i + 1}", "note": _NOTE})
    for kind, count, tags in (
        ("bus station", 6, {"amenity": "bus_station"}),
        ("plant", 8, {"landuse": "industrial"}),
        ("logistics park", 3, {"industrial": "logistics"}),
        ("rail yard", 1, {"railway": "yard"}),
    ):
        for i in range(count):
            x, y = near_centre(city_r if kind == "bus station" else 0.3 * ext)
            w.node(x, y, {**tags, "name": f"{kind} {i + 1}", "note": _NOTE})
    # bus routes along the two-way main streets (every 10th line) crossing the city
    main = [i for i in range(0, n, 10) if abs(i * s - centre) <= city_r]
    stride = max(1, min(3, (n - 1) // (_STOPS_PER_ROUTE - 1)))  # a stop every ~600 m
    span = stride * (_STOPS_PER_ROUTE - 1)
    stop_tagged: set[int] = set()
    for k in range(_N_BUS_ROUTES):
        i = main[k % len(main)]
        lo = min(n - 1 - span, max(0, int((centre - city_r) / s)))
        hi = max(lo, min(n - 1 - span, int((centre + city_r) / s) - span))
        start = int(rng.integers(lo, hi + 1))
        cells = [start + stride * m for m in range(_STOPS_PER_ROUTE)]
        stops = [int(ids[i, c]) if k % 2 == 0 else int(ids[c, i]) for c in cells]
        stop_tagged.update(stops)
        w.relations.append((w.new_id(), [("n", x, "stop") for x in stops],
                            {"type": "route", "route": "bus", "ref": str(k + 1),
                             "name": f"bus {k + 1}", "note": _NOTE}))
    tagged = {"highway": "bus_stop", "public_transport": "stop_position"}
    w.nodes = [(nid, lon, lat, {**tags, **tagged} if nid in stop_tagged else tags)
               for nid, lon, lat, tags in w.nodes]
    # a reservoir fairway across the north-east quarter, a node every 500 m, six terminals
    x0, y0, x1, y1 = 0.55 * ext, 0.9 * ext, 0.95 * ext, 0.55 * ext
    m = max(2, int(math.hypot(x1 - x0, y1 - y0) / 500.0))
    fair = [w.node(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t) for t in np.linspace(0, 1, m + 1)]
    w.way(fair, {"waterway": "fairway", "name": "synthetic reservoir fairway"})
    for j, t in enumerate(np.linspace(0.0, 1.0, 6)):
        x, y = x0 + (x1 - x0) * t + 100.0, y0 + (y1 - y0) * t + 100.0
        w.node(x, y, {"amenity": "ferry_terminal", "name": f"terminal {j + 1}", "note": _NOTE})


def write_synthetic_osm(path: Path, n_nodes: int, *, spacing_m: float = 200.0,
                        seed: int = 18) -> Path:
    """Write a synthetic road + water network of about ``n_nodes`` junctions.

    Parameters
    ----------
    path
        Output file; ``.osm`` (XML) or ``.osm.pbf`` by its suffix.  Overwritten.
    n_nodes
        Approximate number of street junctions (>= 400).
    spacing_m
        Junction spacing, metres (200 m: about a city block).
    seed
        Seed of the jitter and feature placement.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import osmium

    spec = SyntheticSpec(n_nodes, spacing_m)
    rng = np.random.default_rng(seed)
    w = _Writer(spec)
    ids = _grid(w, spec, rng)
    lines = _expressways(w, spec, ids)
    _features(w, spec, ids, lines, rng)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    header = osmium.io.Header()
    header.set("generator", SYNTHETIC_GENERATOR)
    writer = osmium.SimpleWriter(str(path), header=header)
    try:
        for nid, lon, lat, tags in w.nodes:
            writer.add_node(osmium.osm.mutable.Node(id=nid, location=(lon, lat), tags=tags,
                                                    version=1))
        for wid, refs, tags in w.ways:
            writer.add_way(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=tags, version=1))
        for rid, members, tags in w.relations:
            writer.add_relation(osmium.osm.mutable.Relation(id=rid, members=members, tags=tags,
                                                            version=1))
    finally:
        writer.close()
    return path


def grid_extent_km(n_nodes: int, spacing_m: float = 200.0) -> float:
    """Width of the synthetic grid for ``n_nodes`` junctions, km."""
    return SyntheticSpec(n_nodes, spacing_m).extent_m / M_PER_KM
