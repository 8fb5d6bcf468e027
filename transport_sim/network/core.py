"""The :class:`Network`: road and water graphs plus the features the model needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from transport_sim.codes import ROAD_CLASSES
from transport_sim.errors import TransportSimError
from transport_sim.network.arrays import GraphArrays
from transport_sim.network.geo import NodeSnapper
from transport_sim.network.records import (
    BuildOptions,
    BusRoute,
    DroppedReport,
    EdgeGeometry,
    Gateway,
    PointOfInterest,
    Port,
    ServiceArea,
)
from transport_sim.units import M_PER_KM

__all__ = ["Network"]


@dataclass(frozen=True, eq=False)
class Network:
    """A road network (and optional reservoir water network) built from one OSM file.

    Attributes
    ----------
    source
        The OSM file it was built from.
    sha256
        SHA-256 of that file (hex); results record it.
    schematic
        True for the embedded schematic Shiyan network (not surveyed OSM geometry).
    roads
        The road graph (largest strongly connected component) as CSR arrays.
    water
        The water graph (ferry routes, fairways), or ``None`` when the file has none.
    service_areas, ports, pois, bus_routes, gateways
        Features, with node indices into ``roads`` (ports: ``water_node`` into ``water``).
    dropped
        What the build left out (outside the kept component, unsnapped features ...).
    road_geometry, water_geometry
        Edge polylines for plots.
    options
        The build options used.
    from_cache
        True when this object was read from the network cache rather than built.
    """

    source: Path
    sha256: str
    schematic: bool
    roads: GraphArrays
    water: GraphArrays | None
    service_areas: tuple[ServiceArea, ...]
    ports: tuple[Port, ...]
    pois: tuple[PointOfInterest, ...]
    bus_routes: tuple[BusRoute, ...]
    gateways: tuple[Gateway, ...]
    dropped: DroppedReport
    road_geometry: EdgeGeometry
    water_geometry: EdgeGeometry | None
    options: BuildOptions
    from_cache: bool = False
    _snappers: dict[tuple[str, ...] | None, NodeSnapper] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the lazily built snapping indexes."""
        state = dict(self.__dict__)
        state["_snappers"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a pickled network."""
        for key, value in state.items():
            object.__setattr__(self, key, value)

    def nearest_node(self, lon: float, lat: float, classes: tuple[str, ...] | None = None) -> int:
        """Index of the road node nearest to ``(lon, lat)``.

        Parameters
        ----------
        lon, lat
            WGS84 degrees.
        classes
            If given, only nodes touching an edge of one of these road classes
            (names from :data:`transport_sim.codes.ROAD_CLASSES`) are candidates.

        Raises
        ------
        TransportSimError
            For an unknown class name, or when no node touches the given classes.
        """
        key = None if classes is None else tuple(sorted(set(classes)))
        snapper = self._snappers.get(key)
        if snapper is None:
            g = self.roads
            candidates = None
            if key is not None:
                unknown = [c for c in key if c not in ROAD_CLASSES]
                if unknown:
                    msg = (
                        f"road classes {unknown} are unknown; use names from "
                        f"{', '.join(ROAD_CLASSES)}"
                    )
                    raise TransportSimError(msg)
                mask = np.isin(g.edge_class, [ROAD_CLASSES.index(c) for c in key])
                candidates = np.unique(np.concatenate([g.edge_tail[mask], g.edge_head[mask]]))
                if candidates.size == 0:
                    msg = f"{self.source}: no road node touches road classes {list(key)}"
                    raise TransportSimError(msg)
            snapper = NodeSnapper(g.node_lon, g.node_lat, candidates)
            self._snappers[key] = snapper
        return snapper.nearest(float(lon), float(lat))[0]

    def pois_of_kind(self, kind: str) -> tuple[PointOfInterest, ...]:
        """Return the points of interest of one kind (``zone``, ``bus_stop``, ``fuel`` ...)."""
        return tuple(p for p in self.pois if p.kind == kind)

    def road_km_by_class(self) -> dict[str, float]:
        """Road length in km per road class (directed edges: a two-way road counts twice)."""
        g = self.roads
        km = np.bincount(g.edge_class, weights=g.edge_length_m, minlength=len(ROAD_CLASSES))
        return {name: float(km[i]) / M_PER_KM for i, name in enumerate(ROAD_CLASSES)}
