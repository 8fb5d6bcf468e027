"""Small geometry helpers on WGS84 coordinates: distances, bearings, centroids, snapping."""

from __future__ import annotations

from typing import Final

import numpy as np
from scipy.spatial import cKDTree

__all__ = [
    "EARTH_RADIUS_M",
    "NodeSnapper",
    "bearing_deg",
    "haversine_m",
    "path_length_m",
    "ring_centroid",
]

#: Mean Earth radius in metres (the value osmnx uses, so lengths agree with it).
EARTH_RADIUS_M: Final = 6_371_009.0


def haversine_m(
    lon1: np.ndarray | float,
    lat1: np.ndarray | float,
    lon2: np.ndarray | float,
    lat2: np.ndarray | float,
) -> np.ndarray:
    """Great-circle distance in metres between points given in degrees (vectorised)."""
    lon1r, lat1r, lon2r, lat2r = (
        np.radians(np.asarray(v, dtype=np.float64)) for v in (lon1, lat1, lon2, lat2)
    )
    h = (
        np.sin((lat2r - lat1r) / 2.0) ** 2
        + np.cos(lat1r) * np.cos(lat2r) * np.sin((lon2r - lon1r) / 2.0) ** 2
    )
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def path_length_m(lon: np.ndarray, lat: np.ndarray) -> float:
    """Length in metres of the polyline through the given points."""
    if len(lon) < 2:
        return 0.0
    return float(haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:]).sum())


def bearing_deg(
    lon1: np.ndarray | float,
    lat1: np.ndarray | float,
    lon2: np.ndarray | float,
    lat2: np.ndarray | float,
) -> np.ndarray:
    """Return the initial compass bearing in degrees (0 = north, 90 = east), 1 to 2."""
    lon1r, lat1r, lon2r, lat2r = (
        np.radians(np.asarray(v, dtype=np.float64)) for v in (lon1, lat1, lon2, lat2)
    )
    dlon = lon2r - lon1r
    x = np.sin(dlon) * np.cos(lat2r)
    y = np.cos(lat1r) * np.sin(lat2r) - np.sin(lat1r) * np.cos(lat2r) * np.cos(dlon)
    return np.degrees(np.arctan2(x, y)) % 360.0


def ring_centroid(lon: np.ndarray, lat: np.ndarray) -> tuple[float, float]:
    """Area centroid of a closed ring (or the mean of the points when degenerate)."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    if lon.size == 0:
        msg = "cannot take the centroid of an empty ring"
        raise ValueError(msg)
    if lon.size < 3:
        return float(lon.mean()), float(lat.mean())
    x0, y0 = lon.mean(), lat.mean()
    x = (lon - x0) * np.cos(np.radians(y0))
    y = lat - y0
    x2, y2 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y2 - x2 * y
    area = cross.sum() / 2.0
    if abs(area) < 1e-14:
        return float(lon.mean()), float(lat.mean())
    cx = ((x + x2) * cross).sum() / (6.0 * area)
    cy = ((y + y2) * cross).sum() / (6.0 * area)
    return float(x0 + cx / np.cos(np.radians(y0))), float(y0 + cy)


class NodeSnapper:
    """Nearest-node queries on a subset of nodes (KD-tree on a local metric projection).

    The projection is equirectangular about the mean latitude of the nodes; the returned
    distances are exact great-circle distances to the chosen node.

    Parameters
    ----------
    lon, lat
        Coordinates of all nodes of a graph, in degrees.
    candidates
        Indices of the nodes that may be returned (default: all).
    """

    def __init__(
        self, lon: np.ndarray, lat: np.ndarray, candidates: np.ndarray | None = None
    ) -> None:
        self._lon = np.asarray(lon, dtype=np.float64)
        self._lat = np.asarray(lat, dtype=np.float64)
        if candidates is None:
            candidates = np.arange(self._lon.shape[0])
        self._candidates = np.asarray(candidates, dtype=np.int64)
        self._lat0 = float(self._lat[self._candidates].mean()) if self._candidates.size else 0.0
        self._tree = (
            cKDTree(self._project(self._lon[self._candidates], self._lat[self._candidates]))
            if self._candidates.size
            else None
        )

    def _project(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Project degrees to approximate metres about the reference latitude."""
        k = np.radians(1.0) * EARTH_RADIUS_M
        x = np.asarray(lon, dtype=np.float64) * k * np.cos(np.radians(self._lat0))
        y = np.asarray(lat, dtype=np.float64) * k
        return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])

    @property
    def size(self) -> int:
        """Number of candidate nodes."""
        return int(self._candidates.size)

    def nearest(self, lon: float, lat: float) -> tuple[int, float]:
        """Return ``(node index, distance in metres)`` of the nearest candidate node.

        Raises
        ------
        LookupError
            If there are no candidate nodes.
        """
        if self._tree is None:
            msg = "no candidate nodes to snap to"
            raise LookupError(msg)
        _, pos = self._tree.query(self._project(lon, lat)[0])
        node = int(self._candidates[int(pos)])
        dist_m = float(haversine_m(lon, lat, self._lon[node], self._lat[node]))
        return node, dist_m

    def nearest_many(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Vectorised :meth:`nearest`: node indices (int64) and distances in metres."""
        if self._tree is None:
            msg = "no candidate nodes to snap to"
            raise LookupError(msg)
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        _, pos = self._tree.query(self._project(lon, lat))
        nodes = self._candidates[np.asarray(pos, dtype=np.int64)]
        return nodes, haversine_m(lon, lat, self._lon[nodes], self._lat[nodes])

    def within(self, lon: float, lat: float, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
        """Candidate nodes within ``radius_m`` metres, sorted by distance (nodes, metres)."""
        if self._tree is None:
            return np.empty(0, dtype=np.int64), np.empty(0)
        # the projection error is below 1 % over a city region; search a little wider
        pos = self._tree.query_ball_point(self._project(lon, lat)[0], r=radius_m * 1.02)
        nodes = self._candidates[np.asarray(sorted(pos), dtype=np.int64)]
        dist_m = haversine_m(lon, lat, self._lon[nodes], self._lat[nodes])
        keep = dist_m <= radius_m
        nodes, dist_m = nodes[keep], dist_m[keep]
        order = np.argsort(dist_m, kind="stable")
        return nodes[order], dist_m[order]
