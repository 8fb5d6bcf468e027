"""Mesa agents: thin views onto rows of :class:`~transport_sim.kernels.state.FleetState`.

An agent holds only its row index; every property reads (or writes) the model's arrays,
so the Numba kernels and Mesa always see the same state.  ``model.step()`` advances all
vehicles at once through the kernels; agents are for inspection, selection and
Mesa-style analysis (``model.agents_by_type[Taxi].select(lambda a: a.soc_kwh < 10)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from transport_sim.codes import FLEETS, POWERTRAINS, SITE_KINDS, STATUS_NAMES
from transport_sim.units import M_PER_KM

if TYPE_CHECKING:
    from transport_sim.sim.model import TransportModel


class Vehicle(mesa.Agent):
    """A simulated vehicle: a view on row ``index`` of the model's FleetState."""

    fleet_name = "vehicle"

    def __init__(self, model: TransportModel, index: int) -> None:
        super().__init__(model)
        self.index = int(index)

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


class ChargingSite(mesa.Agent):
    """A charger site (depot, urban hub, service area or port): a view on the site arrays."""

    def __init__(self, model: TransportModel, index: int) -> None:
        super().__init__(model)
        self.index = int(index)

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
