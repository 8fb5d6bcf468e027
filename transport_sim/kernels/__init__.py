"""Numba kernels: arrays in, arrays and status codes out; no Mesa, no networkx, no RNG.

Each public function validates its arguments once and calls a private compiled kernel
(``@njit(cache=True, nogil=True)``) that takes a few typed bundles of arrays and named
scalar parameters (:mod:`transport_sim.kernels.bundles`), mutates state arrays in place,
writes into preallocated outputs and returns a :mod:`transport_sim.codes` ``KERNEL_*``
status; the wrapper raises :class:`~transport_sim.errors.KernelError` on a bad status.
The private tick kernels are called from other compiled code (the fused multi-tick loop
in :mod:`transport_sim.kernels.day`); from Python, through their ``<kernel>_py`` entries.
Plain-Python references of every kernel live in :mod:`transport_sim.kernels.reference`
and :mod:`transport_sim.kernels.charging_reference`.

Modules
-------
movement
    :func:`advance_tick` (``_advance_tick``): drive every vehicle for one tick, with an
    optional density-dependent congestion factor.
energy
    Energy over a distance, battery-limited distance, and :func:`totals_by_group`
    (``_energy_totals``) for day totals.
dispatch
    :func:`dispatch_tick` (``_dispatch_tick``): taxi-request matching with exact zone
    pruning.

sorting
    :func:`~transport_sim.kernels.sorting.sort_by_key` and
    :func:`~transport_sim.kernels.sorting.sort_ints`: allocation-free sorts for kernels
    (Numba's generic sorts are slow to compile).

bundles
    The typed ``NamedTuple`` bundles the kernels take, and the one place that builds them.
cache
    :func:`configure_numba_cache`: the on-disk cache folder, keyed by a hash of every
    kernel source, so that an edit in one module cannot leave a stale compiled caller.

Compilation happens on first call (and is cached on disk), never at import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

#: Public names and the module that defines each.  They are imported on first use
#: (PEP 562) so that importing :mod:`transport_sim.kernels.cache` does not import Numba:
#: the cache folder must be chosen before the first ``@njit(cache=True)`` decorator runs.
_LAZY = {
    "DispatchIndex": "dispatch",
    "TaxiRequests": "dispatch",
    "build_dispatch_index": "dispatch",
    "dispatch_tick": "dispatch",
    "zones_by_nearest_target": "dispatch",
    "totals_by_group": "energy",
    "advance_tick": "movement",
    "check_network": "movement",
    "count_vehicles_on_edges": "movement",
    "jam_vehicles": "movement",
}

if TYPE_CHECKING:  # pragma: no cover
    from transport_sim.kernels.dispatch import (
        DispatchIndex,
        TaxiRequests,
        build_dispatch_index,
        dispatch_tick,
        zones_by_nearest_target,
    )
    from transport_sim.kernels.energy import totals_by_group
    from transport_sim.kernels.movement import (
        advance_tick,
        check_network,
        count_vehicles_on_edges,
        jam_vehicles,
    )

__all__ = [
    "DispatchIndex",
    "TaxiRequests",
    "advance_tick",
    "build_dispatch_index",
    "check_network",
    "count_vehicles_on_edges",
    "dispatch_tick",
    "jam_vehicles",
    "totals_by_group",
    "zones_by_nearest_target",
]


def __getattr__(name: str) -> Any:
    """Import the public kernel names lazily (see ``_LAZY``)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
