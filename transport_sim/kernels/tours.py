"""Nearest-neighbour ordering of delivery-tour drops (compiled).

:func:`order_tours_nearest_first` validates its inputs and calls :func:`_order_tours`,
which reorders the drops of every tour in place: from the tour's hub, always to the
nearest drop not yet visited (network distance ``dist_m[target, node]``; ties to the
earlier drop in the tour's list).  The plain-Python twin is
:func:`transport_sim.demand.generators.nearest_neighbour_order` (one tour at a time).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from transport_sim.codes import KERNEL_BAD_STATE, KERNEL_OK, KERNEL_STATUS_NAMES
from transport_sim.errors import KernelError
from transport_sim.kernels.bundles import PYTHON_ENTRY
from transport_sim.kernels.movement import check_array


@njit(cache=True, nogil=True, **PYTHON_ENTRY)
def _order_tours(
    tour_begin: np.ndarray,
    tour_len: np.ndarray,
    hub_target: np.ndarray,
    drop_target: np.ndarray,
    order: np.ndarray,
    dist_m: np.ndarray,
    target_node: np.ndarray,
) -> int:
    """Write into ``order`` (int64[n_drops]) the drop indices of every tour, nearest first.

    ``tour_begin[t] : tour_begin[t] + tour_len[t]`` are tour ``t``'s drops in
    ``drop_target``; ``order`` receives indices into ``drop_target``.  Returns
    ``KERNEL_OK`` or ``KERNEL_BAD_STATE`` for an out-of-range target or slice.
    """
    n_drops = drop_target.shape[0]
    n_targets, n_nodes = dist_m.shape
    used = np.zeros(n_drops, np.bool_)
    for t in range(tour_begin.shape[0]):
        a = tour_begin[t]
        k = tour_len[t]
        if a < 0 or k < 0 or a + k > n_drops:
            return KERNEL_BAD_STATE
        h = hub_target[t]
        if h < 0 or h >= n_targets:
            return KERNEL_BAD_STATE
        here = target_node[h]
        for j in range(k):
            best = -1
            best_d = np.inf
            for i in range(a, a + k):
                if used[i]:
                    continue
                tg = drop_target[i]
                if tg < 0 or tg >= n_targets or here < 0 or here >= n_nodes:
                    return KERNEL_BAD_STATE
                d = np.float64(dist_m[tg, here])
                if best < 0 or d < best_d:
                    best = i
                    best_d = d
            used[best] = True
            order[a + j] = best
            here = target_node[drop_target[best]]
    return KERNEL_OK


def order_tours_nearest_first(
    tour_begin: np.ndarray,
    tour_len: np.ndarray,
    hub_target: np.ndarray,
    drop_target: np.ndarray,
    dist_m: np.ndarray,
    target_node: np.ndarray,
) -> np.ndarray:
    """Return the drop indices of every tour in nearest-neighbour order from its hub.

    Raises
    ------
    TypeError, ValueError
        On wrong dtypes or shapes.
    KernelError
        When a target, node or tour slice is out of range.
    """
    n_tours = int(np.shape(tour_begin)[0])
    check_array("tour_begin", tour_begin, np.int64, (n_tours,))
    check_array("tour_len", tour_len, np.int64, (n_tours,))
    check_array("hub_target", hub_target, np.int64, (n_tours,))
    check_array("drop_target", drop_target, np.int64, (None,))
    check_array("target_node", target_node, np.int32, (None,))
    check_array("dist_m", dist_m, np.float32, (target_node.shape[0], None))
    order = np.arange(drop_target.shape[0], dtype=np.int64)
    code = _order_tours(tour_begin, tour_len, hub_target, drop_target, order, dist_m,
                        target_node)
    if code != KERNEL_OK:
        msg = f"order_tours_nearest_first: {KERNEL_STATUS_NAMES[code]}"
        raise KernelError(msg)
    return order
