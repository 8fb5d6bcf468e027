"""transport_sim: agent-based simulation of transport decarbonisation policies for Shiyan.

Public API (mirrors the CLI)::

    from transport_sim import Scenario, TransportModel, load_scenario, run, sweep

Nothing runs at import: heavy modules (Mesa, osmnx, Numba kernels, Dask) are imported
on first use of the names below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Results",
    "Scenario",
    "TransportModel",
    "TransportSimError",
    "__version__",
    "load_scenario",
    "run",
    "sweep",
]

_LAZY = {
    "Scenario": ("transport_sim.scenario.settings", "Scenario"),
    "load_scenario": ("transport_sim.scenario.settings", "load_scenario"),
    "TransportModel": ("transport_sim.sim.model", "TransportModel"),
    "run": ("transport_sim.pipeline.run", "run"),
    "Results": ("transport_sim.results.folder", "Results"),
    "sweep": ("transport_sim.sweep.execute", "sweep"),
    "TransportSimError": ("transport_sim.errors", "TransportSimError"),
}

if TYPE_CHECKING:  # pragma: no cover
    from transport_sim.errors import TransportSimError
    from transport_sim.pipeline.run import run
    from transport_sim.results.folder import Results
    from transport_sim.scenario.settings import Scenario, load_scenario
    from transport_sim.sim.model import TransportModel
    from transport_sim.sweep.execute import sweep


def __getattr__(name: str) -> Any:
    """Import public names lazily (PEP 562) so that importing the package is cheap."""
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    msg = f"module 'transport_sim' has no attribute {name!r}"
    raise AttributeError(msg)
