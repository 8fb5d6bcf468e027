"""Saving and loading built networks: one ``.npz`` file (arrays + embedded JSON metadata).

The same format serves the on-disk cache and ``transport-sim network build``.  No pickle
is involved (``allow_pickle=False``), so a cache file can never run code.  A cache entry
is keyed by the source file's SHA-256, the build options and :data:`CACHE_FORMAT_VERSION`;
it is written to a temporary file and renamed into place, and an entry that cannot be
read or does not match its key is rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
import zlib
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import numpy as np

from transport_sim.network.arrays import GraphArrays
from transport_sim.network.core import Network
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

__all__ = [
    "CACHE_ENV_VAR",
    "CACHE_FORMAT_VERSION",
    "cache_entry_path",
    "default_cache_dir",
    "file_sha256",
    "read_network_file",
    "try_read_cache",
    "write_network_file",
]

#: Bump whenever the build or the file layout changes: old entries are then ignored.
CACHE_FORMAT_VERSION: Final = 1
#: Environment variable naming the network cache directory.
CACHE_ENV_VAR: Final = "TRANSPORT_SIM_CACHE"

_GRAPH_FIELDS: Final = (
    "node_osm_id",
    "node_lon",
    "node_lat",
    "indptr",
    "edge_tail",
    "edge_head",
    "edge_length_m",
    "edge_speed_kph",
    "edge_travel_time_s",
    "edge_class",
    "edge_name",
)
_RECORDS: Final = MappingProxyType(
    {
        "service_areas": ServiceArea,
        "ports": Port,
        "pois": PointOfInterest,
        "bus_routes": BusRoute,
        "gateways": Gateway,
    }
)
#: Errors that mean "this file is not a valid network file".
_CORRUPT: Final = (
    OSError,
    ValueError,
    KeyError,
    TypeError,
    EOFError,
    zipfile.BadZipFile,
    zlib.error,
    json.JSONDecodeError,
    UnicodeDecodeError,
)


def default_cache_dir() -> Path:
    """``$TRANSPORT_SIM_CACHE`` if set, else ``~/.cache/transport_sim/networks``."""
    env = os.environ.get(CACHE_ENV_VAR)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "transport_sim" / "networks"


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    with Path(path).open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def cache_key(sha256: str, options: BuildOptions) -> str:
    """Key of a cache entry: hash of format version, source hash and build options."""
    text = json.dumps(
        {"format": CACHE_FORMAT_VERSION, "sha256": sha256, "options": options.to_dict()},
        sort_keys=True,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cache_entry_path(cache_dir: Path, sha256: str, options: BuildOptions) -> Path:
    """Path of the cache entry of a source file built with ``options``."""
    return Path(cache_dir) / f"network-{cache_key(sha256, options)[:40]}.npz"


def _graph_arrays(prefix: str, graph: GraphArrays) -> dict[str, np.ndarray]:
    """Arrays of one graph under ``prefix``."""
    out = {}
    for name in _GRAPH_FIELDS:
        value = getattr(graph, name)
        if name == "edge_name":
            value = np.array([str(v) for v in value], dtype=np.str_).reshape(-1)
        out[f"{prefix}__{name}"] = value
    return out


def _geometry_arrays(prefix: str, geometry: EdgeGeometry) -> dict[str, np.ndarray]:
    """Arrays of one edge geometry under ``prefix``."""
    return {
        f"{prefix}__offsets": geometry.offsets,
        f"{prefix}__lon": geometry.lon,
        f"{prefix}__lat": geometry.lat,
    }


def _metadata(network: Network) -> dict[str, Any]:
    """JSON-able metadata of a network (everything except the arrays)."""
    meta: dict[str, Any] = {
        "format": CACHE_FORMAT_VERSION,
        "source": str(network.source),
        "sha256": network.sha256,
        "schematic": network.schematic,
        "has_water": network.water is not None,
        "options": network.options.to_dict(),
        "dropped": network.dropped.to_dict(),
        "counts": {
            "road_nodes": network.roads.n_nodes,
            "road_edges": network.roads.n_edges,
            "water_nodes": network.water.n_nodes if network.water is not None else 0,
            "water_edges": network.water.n_edges if network.water is not None else 0,
        },
    }
    for key in _RECORDS:
        meta[key] = [record.to_dict() for record in getattr(network, key)]
    return meta


def write_network_file(network: Network, out: Path) -> Path:
    """Write ``network`` to ``out`` (``.npz``) atomically (temporary file + rename)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    arrays = _graph_arrays("roads", network.roads)
    arrays.update(_geometry_arrays("roads_geom", network.road_geometry))
    if network.water is not None and network.water_geometry is not None:
        arrays.update(_graph_arrays("water", network.water))
        arrays.update(_geometry_arrays("water_geom", network.water_geometry))
    meta = json.dumps(_metadata(network), ensure_ascii=False, sort_keys=True)
    arrays["meta_json"] = np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp_name).chmod(0o644)  # mkstemp creates 0600; built files are shared
        Path(tmp_name).replace(out)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return out


def _read_graph(data: Any, prefix: str) -> GraphArrays:
    """Rebuild one graph from the arrays in an open ``.npz``."""
    values = {name: data[f"{prefix}__{name}"] for name in _GRAPH_FIELDS}
    values["edge_name"] = values["edge_name"].astype(object)
    return GraphArrays(**values)


def _read_geometry(data: Any, prefix: str) -> EdgeGeometry:
    """Rebuild one edge geometry from the arrays in an open ``.npz``."""
    return EdgeGeometry(data[f"{prefix}__offsets"], data[f"{prefix}__lon"], data[f"{prefix}__lat"])


def read_network_file(path: Path, source: Path | None = None) -> Network:
    """Read a network written by :func:`write_network_file`.

    Raises
    ------
    OSError, ValueError, KeyError, zipfile.BadZipFile, ...
        If the file is missing, truncated, corrupt or of another format version.
    """
    with np.load(Path(path), allow_pickle=False) as data:
        meta = json.loads(bytes(data["meta_json"]).decode("utf-8"))
        if meta.get("format") != CACHE_FORMAT_VERSION:
            msg = f"network file format {meta.get('format')} != {CACHE_FORMAT_VERSION}"
            raise ValueError(msg)
        roads = _read_graph(data, "roads")
        road_geometry = _read_geometry(data, "roads_geom")
        water = _read_graph(data, "water") if meta["has_water"] else None
        water_geometry = _read_geometry(data, "water_geom") if meta["has_water"] else None
    if road_geometry.offsets.shape != (roads.n_edges + 1,):
        msg = "road geometry does not match the road graph"
        raise ValueError(msg)
    records = {key: tuple(cls.from_dict(r) for r in meta[key]) for key, cls in _RECORDS.items()}
    return Network(
        source=Path(source) if source is not None else Path(meta["source"]),
        sha256=meta["sha256"],
        schematic=bool(meta["schematic"]),
        roads=roads,
        water=water,
        dropped=DroppedReport.from_dict(meta["dropped"]),
        road_geometry=road_geometry,
        water_geometry=water_geometry,
        options=BuildOptions.from_dict(meta["options"]),
        **records,
    )


def try_read_cache(path: Path, sha256: str, options: BuildOptions, source: Path) -> Network | None:
    """Return the cached network at ``path`` if it is valid for this source and options.

    A missing entry returns ``None``; an unreadable or mismatching entry is deleted and
    ``None`` is returned, so the caller rebuilds it.
    """
    if not path.is_file():
        return None
    try:
        network = read_network_file(path, source)
        if network.sha256 != sha256 or network.options != options:
            msg = "cache entry does not match its key"
            raise ValueError(msg)
    except _CORRUPT:
        path.unlink(missing_ok=True)
        return None
    return network
