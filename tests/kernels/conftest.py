"""Hand-built tiny networks shared by the kernel tests."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytest
from kernel_cases import build_graph, build_targets

from transport_sim.codes import N_ROAD_CLASSES, ROAD_CLASSES
from transport_sim.kernels.state import KernelGraph, SpecTable, Targets

EXPRESSWAY = ROAD_CLASSES.index("expressway")
LOCAL = ROAD_CLASSES.index("local")


class Network(NamedTuple):
    """A graph and its next-hop tables."""

    graph: KernelGraph
    targets: Targets


@pytest.fixture
def line() -> Network:
    """A one-way chain 0 -> 1 -> 2 -> 3 -> 4 with mixed lengths, speeds and classes.

    Target 0 is node 4, target 1 is node 2, target 2 is node 0 (unreachable from the
    others: the chain is one-way).
    """
    lengths = np.array([120.0, 35.0, 800.0, 2.5])
    speeds = np.array([10.0, 5.0, 25.0, 2.0])
    classes = np.array([LOCAL, LOCAL, EXPRESSWAY, LOCAL])
    graph = build_graph(5, [0, 1, 2, 3], [1, 2, 3, 4], lengths, speeds, classes)
    return Network(graph, build_targets(graph, np.array([4, 2, 0])))


@pytest.fixture
def specs() -> SpecTable:
    """Spec 0: BEV, 1 kWh/km on local roads, 1.5 kWh/km elsewhere; spec 1: diesel."""
    kwh = np.full((2, N_ROAD_CLASSES), 0.0015)
    kwh[0, LOCAL] = 0.001
    kwh[1, :] = 0.003
    return SpecTable(kwh_per_m=kwh, is_bev=np.array([True, False]))
