"""Small immutable records that describe what a network holds besides its graphs.

Node fields (``node``, ``nodes``, ``road_node``, ``water_node`` ...) are indices into the
network's :class:`~transport_sim.network.arrays.GraphArrays` (roads or water), never OSM
ids.  Every record converts to and from plain JSON-able dicts for the cache.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Self

import numpy as np

__all__ = [
    "BuildOptions",
    "BusRoute",
    "DroppedReport",
    "EdgeGeometry",
    "Gateway",
    "PointOfInterest",
    "Port",
    "ServiceArea",
]


class _Record:
    """Mixin: ``to_dict`` / ``from_dict`` for flat dataclasses of scalars and tuples."""

    def to_dict(self) -> dict[str, Any]:
        """Return the record as a JSON-able dict."""
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Rebuild a record from :meth:`to_dict` output (lists become tuples)."""
        values = {}
        for item in fields(cls):  # type: ignore[arg-type]
            if item.name not in data:
                continue  # a field with a default that an older writer did not store
            value = data[item.name]
            values[item.name] = tuple(value) if isinstance(value, list) else value
        return cls(**values)


@dataclass(frozen=True)
class BuildOptions(_Record):
    """Options that change how a network is built (part of the cache key).

    Parameters
    ----------
    simplify
        Merge interstitial road nodes into longer edges (osmnx ``simplify_graph``); nodes
        tagged ``highway=bus_stop`` are kept as graph nodes.
    service_area_radius_m
        Search radius around a service area for a node on each carriageway.
    service_area_merge_m
        Service areas with the same name closer than this are one site (OSM often maps
        one facility per carriageway).
    port_snap_max_m
        Piers and terminals farther than this from the water graph are not ports.
    poi_snap_max_m
        Points of interest farther than this from the road graph are dropped.
    gateway_pair_m
        Open road ends of the same road closer than this form one gateway (the two
        carriageways of an expressway).
    ship_speed_kph
        Speed given to every water edge (the model overrides it per vessel).
    """

    simplify: bool = True
    service_area_radius_m: float = 1500.0
    service_area_merge_m: float = 2000.0
    port_snap_max_m: float = 2000.0
    poi_snap_max_m: float = 2000.0
    gateway_pair_m: float = 2000.0
    ship_speed_kph: float = 15.0


@dataclass(frozen=True)
class ServiceArea(_Record):
    """An expressway service area or parking area: a candidate charging site.

    ``nodes`` holds one road node per carriageway direction (two on a dual carriageway,
    one when a single node serves both directions or only one carriageway is in reach);
    ``snap_m`` and ``bearing_deg`` (direction of travel there) are aligned with it.
    """

    name: str
    kind: str
    lon: float
    lat: float
    nodes: tuple[int, ...]
    snap_m: tuple[float, ...]
    bearing_deg: tuple[float, ...]
    osm_ref: str
    name_en: str = ""


@dataclass(frozen=True)
class Port(_Record):
    """A pier / ferry terminal / harbour on the water graph with its landside road node."""

    name: str
    kind: str
    lon: float
    lat: float
    water_node: int
    water_snap_m: float
    road_node: int
    road_snap_m: float
    osm_ref: str
    name_en: str = ""


@dataclass(frozen=True)
class PointOfInterest(_Record):
    """A zone centre, terminal, stop, plant, hub, fuel or charging station on the roads.

    ``kind`` is one of :data:`transport_sim.network.tags.POI_KINDS`; ``subkind`` is the
    matching OSM tag value (``town``, ``yard``, ``works`` ...).
    """

    name: str
    kind: str
    subkind: str
    lon: float
    lat: float
    node: int
    snap_m: float
    osm_ref: str
    name_en: str = ""


@dataclass(frozen=True)
class BusRoute(_Record):
    """A bus line: its stops as road node indices in travel order."""

    name: str
    ref: str
    stops: tuple[int, ...]
    osm_ref: str
    name_en: str = ""


@dataclass(frozen=True)
class Gateway(_Record):
    """Where an expressway or national road leaves the network (freight enters / leaves).

    ``node_in`` is where inbound traffic joins the kept network, ``node_out`` where
    outbound traffic leaves it (equal on a two-way road).
    """

    name: str
    road_class: str
    lon: float
    lat: float
    node_in: int
    node_out: int


@dataclass(frozen=True)
class DroppedReport(_Record):
    """What building the network left out, and why."""

    road_nodes_outside_scc: int = 0
    road_edges_outside_scc: int = 0
    road_km_outside_scc: float = 0.0
    ways_trimmed: int = 0
    ways_dropped: int = 0
    node_refs_missing: int = 0
    water_nodes_outside_component: int = 0
    water_km_outside_component: float = 0.0
    service_areas_unsnapped: tuple[str, ...] = ()
    ports_unsnapped: tuple[str, ...] = ()
    pois_unsnapped: int = 0
    bus_routes_without_stops: int = 0


@dataclass(frozen=True, eq=False)
class EdgeGeometry:
    """Polyline of every edge (for plots): edge ``i`` is ``lon[offsets[i]:offsets[i+1]]``."""

    offsets: np.ndarray = field(repr=False)
    lon: np.ndarray = field(repr=False)
    lat: np.ndarray = field(repr=False)

    def edge(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(lon, lat)`` of the points of edge ``i``."""
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        return self.lon[a:b], self.lat[a:b]

    def reordered(self, order: np.ndarray) -> EdgeGeometry:
        """Return the geometry with edges permuted (new edge ``i`` = old edge ``order[i]``)."""
        starts = self.offsets[:-1][order]
        counts = (self.offsets[1:] - self.offsets[:-1])[order]
        offsets = np.zeros(len(order) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        take = np.repeat(starts - offsets[:-1], counts) + np.arange(offsets[-1])
        return EdgeGeometry(offsets, self.lon[take], self.lat[take])

    @classmethod
    def from_lists(cls, lons: list[np.ndarray], lats: list[np.ndarray]) -> EdgeGeometry:
        """Build from one coordinate array per edge."""
        counts = np.array([len(x) for x in lons], dtype=np.int64)
        offsets = np.zeros(len(lons) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        lon = np.concatenate(lons) if lons else np.empty(0)
        lat = np.concatenate(lats) if lats else np.empty(0)
        return cls(offsets, lon.astype(np.float64), lat.astype(np.float64))
