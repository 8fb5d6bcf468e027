"""Read an OSM file (``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.osm.pbf``) with pyosmium.

One pass over the file collects what the network needs and nothing else: drivable ways
(trimmed to the nodes present in the file), ferry routes and fairways, service areas,
ports and points of interest (nodes or areas, areas reduced to their centroid) and bus
route relations.  Every failure to read the file becomes a one-line
:class:`~transport_sim.errors.NetworkDataError` naming the file.

Real extracts are clipped: their ways reference nodes outside the clip.  Such ways are
trimmed to the nodes present; each remaining run of at least two consecutive nodes is
kept as its own way, and the trimming is counted in :class:`ReadStats`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import osmium

from transport_sim.errors import NetworkDataError, TransportSimError, describe
from transport_sim.network import tags as osm_tags
from transport_sim.network.geo import ring_centroid

__all__ = [
    "OsmExtract",
    "RawFeature",
    "RawRoute",
    "ReadStats",
    "RoadWay",
    "WaterWay",
    "check_file",
    "read_osm",
]

#: ``generator`` attribute that marks the embedded schematic network.
SCHEMATIC_GENERATOR: Final = "transport_sim schematic builder"
_STOP_ROLES: Final = ("stop", "stop_entry_only", "stop_exit_only")
_PLATFORM_ROLES: Final = ("platform", "platform_entry_only", "platform_exit_only")


@dataclass(frozen=True)
class RoadWay:
    """A drivable way (or one trimmed run of it): ordered OSM node ids and road tags."""

    osm_id: int
    nodes: tuple[int, ...]
    tags: dict[str, str]


@dataclass(frozen=True)
class WaterWay:
    """A ferry route or fairway (or one trimmed run of it)."""

    osm_id: int
    nodes: tuple[int, ...]
    kind: str
    name: str


@dataclass(frozen=True)
class RawFeature:
    """A tagged node or area (reduced to its centroid) that may be a feature."""

    osm_ref: str
    lon: float
    lat: float
    tags: dict[str, str]


@dataclass(frozen=True)
class RawRoute:
    """A bus route relation: its tags and its member node ids by role group, in order."""

    osm_id: int
    tags: dict[str, str]
    stop_nodes: tuple[int, ...]
    platform_nodes: tuple[int, ...]
    other_nodes: tuple[int, ...]


@dataclass
class ReadStats:
    """What reading dropped: ways cut by the file's clip, node references missing."""

    ways_trimmed: int = 0
    ways_dropped: int = 0
    node_refs_missing: int = 0


@dataclass
class OsmExtract:
    """Everything the network builder needs from one OSM file."""

    path: Path
    generator: str
    node_lonlat: dict[int, tuple[float, float]] = field(default_factory=dict)
    bus_stop_nodes: set[int] = field(default_factory=set)
    road_ways: list[RoadWay] = field(default_factory=list)
    water_ways: list[WaterWay] = field(default_factory=list)
    features: list[RawFeature] = field(default_factory=list)
    bus_routes: list[RawRoute] = field(default_factory=list)
    stats: ReadStats = field(default_factory=ReadStats)

    @property
    def schematic(self) -> bool:
        """True when the file was written by the transport_sim schematic builder."""
        return self.generator.startswith(SCHEMATIC_GENERATOR)


def _sniff_format(path: Path) -> str:
    """Return the osmium format string of ``path`` from its first bytes."""
    with path.open("rb") as handle:
        head = handle.read(64)
    if head.startswith(b"BZh"):
        return "osm.bz2"
    if head.startswith(b"\x1f\x8b"):
        return "osm.gz"
    if b"OSMHeader" in head[:32]:
        return "pbf"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "osm"
    raise NetworkDataError(
        describe(
            path,
            "network file",
            path.name,
            "is not an OSM file (no OSM XML, bzip2/gzip or PBF signature); "
            "supply an .osm, .osm.bz2 or .osm.pbf extract",
        )
    )


def check_file(path: Path) -> None:
    """Raise :class:`NetworkDataError` for a missing, unreadable or empty file."""
    if not path.exists():
        raise NetworkDataError(
            describe(path, "network file", path.name, "does not exist; check the path")
        )
    if not path.is_file():
        raise NetworkDataError(
            describe(path, "network file", path.name, "is not a file; give an OSM file")
        )
    if path.stat().st_size == 0:
        raise NetworkDataError(
            describe(path, "network file", path.name, "is empty; supply a non-empty OSM file")
        )


def _kept(tags: osmium.osm.TagList, keys: tuple[str, ...]) -> dict[str, str]:
    """Return the subset of ``tags`` with the given keys."""
    return {key: tags[key] for key in keys if key in tags}


class _Collector:
    """Accumulates the objects of one pass over an OSM file into an :class:`OsmExtract`."""

    def __init__(self, extract: OsmExtract, wanted_nodes: set[int]) -> None:
        self.extract = extract
        self.wanted_nodes = wanted_nodes

    def _runs(self, way: osmium.osm.Way) -> list[list[tuple[int, float, float]]]:
        """Split a way's node list into runs of nodes whose locations are in the file."""
        runs: list[list[tuple[int, float, float]]] = []
        current: list[tuple[int, float, float]] = []
        missing = 0
        for ref in way.nodes:
            if ref.location.valid():
                current.append((ref.ref, ref.location.lon, ref.location.lat))
                continue
            missing += 1
            if current:
                runs.append(current)
            current = []
        if current:
            runs.append(current)
        stats = self.extract.stats
        if missing:
            stats.ways_trimmed += 1
            stats.node_refs_missing += missing
        kept = [run for run in runs if len({node for node, _, _ in run}) >= 2]
        if not kept:
            stats.ways_dropped += 1
        return kept

    def _store(self, run: list[tuple[int, float, float]]) -> tuple[int, ...]:
        """Record the coordinates of a run's nodes and return their ids."""
        lonlat = self.extract.node_lonlat
        for node, lon, lat in run:
            lonlat[node] = (lon, lat)
        return tuple(node for node, _, _ in run)

    def node(self, node: osmium.osm.Node) -> None:
        """Collect a tagged node: a feature, a bus stop or a wanted relation member."""
        tags = node.tags
        if not node.location.valid():
            return
        lon, lat = node.location.lon, node.location.lat
        if node.id in self.wanted_nodes:
            self.extract.node_lonlat[node.id] = (lon, lat)
        if tags.get("highway") == "bus_stop":
            self.extract.bus_stop_nodes.add(node.id)
        if osm_tags.is_interesting(tags):
            self.extract.node_lonlat[node.id] = (lon, lat)
            self.extract.features.append(
                RawFeature(f"node/{node.id}", lon, lat, _kept(tags, osm_tags.FEATURE_TAG_KEYS))
            )

    def way(self, way: osmium.osm.Way) -> None:
        """Collect a drivable way, a ferry route / fairway, or a linear pier."""
        tags = way.tags
        if osm_tags.drivable_highway(tags) is not None:
            kept_tags = _kept(tags, osm_tags.ROAD_TAG_KEYS)
            for run in self._runs(way):
                self.extract.road_ways.append(RoadWay(way.id, self._store(run), kept_tags))
            return
        kind = osm_tags.water_kind(tags)
        if kind is not None:
            name = osm_tags.feature_name(tags, "")
            for run in self._runs(way):
                self.extract.water_ways.append(WaterWay(way.id, self._store(run), kind, name))
            return
        if way.is_closed() or not osm_tags.is_interesting(tags):
            return  # closed ways come back as areas
        points = [(r.location.lon, r.location.lat) for r in way.nodes if r.location.valid()]
        if points:
            lon = sum(p[0] for p in points) / len(points)
            lat = sum(p[1] for p in points) / len(points)
            self.extract.features.append(
                RawFeature(f"way/{way.id}", lon, lat, _kept(tags, osm_tags.FEATURE_TAG_KEYS))
            )

    def relation(self, relation: osmium.osm.Relation) -> None:
        """Collect a bus route relation's member nodes in order."""
        tags = relation.tags
        if not osm_tags.is_bus_route(tags):
            return
        stops: list[int] = []
        platforms: list[int] = []
        others: list[int] = []
        for member in relation.members:
            if member.type != "n":
                continue
            if member.role in _STOP_ROLES:
                stops.append(member.ref)
            elif member.role in _PLATFORM_ROLES:
                platforms.append(member.ref)
            else:
                others.append(member.ref)
        self.extract.bus_routes.append(
            RawRoute(
                relation.id,
                _kept(tags, ("name", "name:en", "ref", "from", "to", "operator")),
                tuple(stops),
                tuple(platforms),
                tuple(others),
            )
        )

    def area(self, area: osmium.osm.Area) -> None:
        """Collect an area feature (closed way or multipolygon) at its outer-ring centroid."""
        tags = area.tags
        if not osm_tags.is_interesting(tags):
            return
        rings = [
            [(n.lon, n.lat) for n in ring if n.location.valid()] for ring in area.outer_rings()
        ]
        rings = [ring for ring in rings if ring]
        if not rings:
            return
        points = max(rings, key=len)
        if len(points) > 3 and points[0] == points[-1]:
            points = points[:-1]  # drop the closing point
        best = ring_centroid([p[0] for p in points], [p[1] for p in points])
        kind = "way" if area.from_way() else "relation"
        self.extract.features.append(
            RawFeature(
                f"{kind}/{area.orig_id()}", best[0], best[1], _kept(tags, osm_tags.FEATURE_TAG_KEYS)
            )
        )


def _route_member_nodes(osm_file: osmium.io.File) -> set[int]:
    """First pass: ids of the nodes that bus route relations reference."""
    wanted: set[int] = set()
    for relation in osmium.FileProcessor(osm_file, osmium.osm.RELATION):
        if osm_tags.is_bus_route(relation.tags):
            wanted.update(m.ref for m in relation.members if m.type == "n")
    return wanted


def read_osm(path: Path) -> OsmExtract:
    """Read the parts of an OSM file that the network needs.

    Parameters
    ----------
    path
        An OSM XML (optionally bzip2/gzip-compressed) or PBF file.

    Raises
    ------
    NetworkDataError
        If the file is missing, empty, not OSM data, or corrupt/truncated.
    """
    path = Path(path)
    check_file(path)
    fmt = _sniff_format(path)
    try:
        osm_file = osmium.io.File(str(path), fmt)
        generator = osmium.FileProcessor(osm_file).header.get("generator", "") or ""
        extract = OsmExtract(path=path, generator=generator)
        wanted = _route_member_nodes(osm_file)
        collector = _Collector(extract, wanted)
        processor = (
            osmium.FileProcessor(osm_file)
            .with_locations()
            .with_areas()
            .with_filter(osmium.filter.EmptyTagFilter())
        )
        for obj in processor:
            if obj.is_node():
                collector.node(obj)
            elif obj.is_way():
                collector.way(obj)
            elif obj.is_relation():
                collector.relation(obj)
            elif obj.is_area():
                collector.area(obj)
        store = processor.node_location_storage
        missing = wanted.difference(extract.node_lonlat)
        if store is not None:
            for node in missing:
                try:
                    location = store.get(node)
                except KeyError:
                    continue
                if location.valid():
                    extract.node_lonlat[node] = (location.lon, location.lat)
    except TransportSimError:
        raise
    except (RuntimeError, ValueError, OSError, EOFError, UnicodeError) as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise NetworkDataError(
            describe(
                path,
                "network file",
                path.name,
                f"cannot be read as OSM data ({detail}); the file is corrupt, truncated or "
                "not OSM; supply an .osm, .osm.bz2 or .osm.pbf extract",
            )
        ) from exc
    return extract
