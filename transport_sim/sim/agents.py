"""Mesa agents: thin views onto rows of :class:`~transport_sim.kernels.state.FleetState`.

An agent holds only its row index; every property reads (or writes) the model's arrays,
so the Numba kernels and Mesa always see the same state.  ``model.step()`` advances all
vehicles at once through the kernels; agents are for inspection, selection and
Mesa-style analysis (``model.agents_by_type[Taxi].select(lambda a: a.soc_kwh < 10)``).

A day has tens of thousands of agents and a run builds dozens of days, so
:func:`populate` and :func:`remove_all` register and remove a day's agents in bulk:
the same agents, ids and Mesa collections (in the same order) as creating them one by
one with ``Vehicle(model, index)``, at a fraction of the cost.  A model can reserve the
agents' ids when it is built (:func:`reserve_ids`) and populate on first use, with the
same ids as if it had populated then.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Self

import mesa
import numpy as np
from mesa.agent import AgentSet

from transport_sim.codes import FLEETS, POWERTRAINS, SITE_KINDS, STATUS_NAMES
from transport_sim.units import M_PER_KM

if TYPE_CHECKING:
    from transport_sim.sim.model import TransportModel


class _RowAgent(mesa.Agent):
    """A Mesa agent that views row ``index`` of the model's arrays."""

    def __init__(self, model: TransportModel, index: int) -> None:
        super().__init__(model)
        self.index = int(index)

    @classmethod
    def _unregistered(cls, model: TransportModel, unique_id: int, index: int) -> Self:
        """Return the agent ``cls(model, index)`` builds, not yet registered with ``model``."""
        agent = cls.__new__(cls)
        agent.model = model
        agent.unique_id = unique_id
        agent.pos = None
        agent.index = index
        return agent


class Vehicle(_RowAgent):
    """A simulated vehicle: a view on row ``index`` of the model's FleetState."""

    fleet_name = "vehicle"

    @property
    def _state(self):  # noqa: ANN202 - FleetState, kept untyped to avoid an import cycle
        return self.model.state

    @property
    def powertrain(self) -> str:
        """Powertrain name (``bev``, ``diesel``, ...)."""
        return POWERTRAINS[int(self._state.powertrain[self.index])]

    @property
    def status(self) -> str:
        """Status name (``moving``, ``charging``, ``stranded``, ...)."""
        return STATUS_NAMES[int(self._state.status[self.index])]

    @property
    def soc_kwh(self) -> float:
        """Battery state of charge, kWh (0 for vehicles without a traction battery)."""
        return float(self._state.soc_kwh[self.index])

    @soc_kwh.setter
    def soc_kwh(self, value_kwh: float) -> None:
        self._state.soc_kwh[self.index] = value_kwh

    @property
    def battery_kwh(self) -> float:
        """Usable battery capacity, kWh."""
        return float(self._state.battery_kwh[self.index])

    @property
    def odometer_km(self) -> float:
        """Distance driven (sailed) today, km."""
        return float(self._state.odometer_m[self.index]) / M_PER_KM

    @property
    def energy_kwh(self) -> float:
        """Final energy drawn today, kWh."""
        return float(self._state.energy_kwh[self.index])

    @property
    def node(self) -> int:
        """Graph node the vehicle stands at (or the tail of its current edge)."""
        return int(self._state.node[self.index])

    @property
    def lonlat(self) -> tuple[float, float]:
        """Approximate position (lon, lat): the current node, or interpolated on an edge."""
        return self.model.position_lonlat(self.index)

    def step(self) -> None:
        """Agents are advanced together by the kernels; see :meth:`TransportModel.step`."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(index={self.index}, {self.powertrain}, {self.status})"


class Bus(Vehicle):
    """A bus running a timetabled line."""

    fleet_name = "bus"


class Taxi(Vehicle):
    """A taxi (or ride-hailing car) serving dispatched requests."""

    fleet_name = "taxi"


class FreightTruck(Vehicle):
    """A freight truck on a loaded trip and its empty return."""

    fleet_name = "truck"


class Ship(Vehicle):
    """A boat on the Danjiangkou reservoir (tourist, ferry, cargo, official)."""

    fleet_name = "ship"


#: Agent class of each fleet code.
AGENT_CLASSES: tuple[type[Vehicle], ...] = (Bus, Taxi, FreightTruck, Ship)
assert tuple(c.fleet_name for c in AGENT_CLASSES) == FLEETS


class ChargingSite(_RowAgent):
    """A charger site (depot, urban hub, service area or port): a view on the site arrays."""

    @property
    def kind(self) -> str:
        """Site kind (depot, urban, service_area, port)."""
        return SITE_KINDS[int(self.model.sites.kind[self.index])]

    @property
    def name(self) -> str:
        """Site name."""
        return str(self.model.sites.name[self.index])

    @property
    def plugs(self) -> int:
        """Number of plugs."""
        return int(self.model.site_arrays.plugs[self.index])

    @property
    def busy_plugs(self) -> int:
        """Plugs in use now."""
        return int(self.model.site_arrays.busy[self.index])

    @property
    def queue_length(self) -> int:
        """Vehicles waiting for a plug now."""
        return int(self.model.site_arrays.queue_len[self.index])

    def step(self) -> None:
        """Sites are served by the charging kernel; nothing to do per agent."""


def reserve_ids(model: mesa.Model, n_agents: int) -> int:
    """Take the next ``n_agents`` agent ids of ``model`` from Mesa's counter; return the first.

    Agents created later (by Mesa or by :func:`populate` without ``first_id``) get the ids
    after them, as if ``n_agents`` agents had been created now.
    """
    first = next(mesa.Agent._ids[model])
    mesa.Agent._ids[model] = itertools.count(first + n_agents)
    return first


def populate(
    model: mesa.Model, fleet: np.ndarray, n_sites: int, first_id: int | None = None
) -> None:
    """Give ``model`` one agent per vehicle row and per charger site, registered in bulk.

    The same as ``AGENT_CLASSES[fleet[v]](model, v)`` for every row ``v`` and then
    ``ChargingSite(model, s)`` for every site: same ids, same order in ``model.agents``
    and ``model.agents_by_type``.

    Parameters
    ----------
    model
        The day's model (no agents of its own yet).
    fleet
        Fleet code of each vehicle row (``FleetState.fleet`` of the simulated vehicles).
    n_sites
        Charger sites of the day.
    first_id
        The first of the ids :func:`reserve_ids` reserved for these agents; ``None``:
        take them from Mesa's counter now.
    """
    ids = mesa.Agent._ids[model] if first_id is None else itertools.count(first_id)
    classes = AGENT_CLASSES
    agents: list[_RowAgent] = [
        classes[f]._unregistered(model, next(ids), v)
        for v, f in enumerate(np.asarray(fleet).tolist())
    ]
    agents += [ChargingSite._unregistered(model, next(ids), s) for s in range(n_sites)]
    # what Model.register_agent does for each agent: the hard references, the set of
    # each type and the set of all agents
    model._agents.update(dict.fromkeys(agents))
    by_type: dict[type, list[_RowAgent]] = {}
    for agent in agents:
        by_type.setdefault(type(agent), []).append(agent)
    for cls, group in by_type.items():
        if cls in model._agents_by_type:
            model._agents_by_type[cls]._agents.update(dict.fromkeys(group))
        else:
            model._agents_by_type[cls] = AgentSet(group, random=model.random)
    model._all_agents._agents.update(dict.fromkeys(agents))


def remove_all(model: TransportModel) -> None:
    """Remove every agent of ``model`` at once (``model.remove_all_agents()`` in bulk)."""
    for group in model._agents_by_type.values():
        group._agents.clear()
    model._all_agents._agents.clear()
    model._agents.clear()
