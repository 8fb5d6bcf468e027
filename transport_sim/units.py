"""Every unit conversion of the package, named once.

Quantities carry their unit in their name (``length_m``, ``energy_kwh``, ``co2_t``), and a
conversion between two units multiplies or divides by one of these constants, never by a
literal.  Each constant reads "<unit A> per <unit B>", so ``x_kg / KG_PER_T`` is in tonnes
and ``x_h * SECONDS_PER_HOUR`` in seconds.  Values are exact by definition of the units
(SI and its accepted non-SI units); physical properties of fuels (heating values,
densities) are data with sources and live in :mod:`transport_sim.fleets.factors`.

Compiled kernels may import this module (plain float constants, frozen into the machine
code at compile time).
"""

from __future__ import annotations

from typing import Final

# ---------------------------------------------------------------------------- time
#: Seconds per minute.
SECONDS_PER_MINUTE: Final = 60.0
#: Minutes per hour.
MINUTES_PER_HOUR: Final = 60.0
#: Seconds per hour (3600 s = 1 h).
SECONDS_PER_HOUR: Final = 3600.0
#: Hours per day.
HOURS_PER_DAY: Final = 24
#: Seconds per day (86 400 s = 24 h); the simulated day and the tick divide it.
SECONDS_PER_DAY: Final = 86_400.0

# ---------------------------------------------------------------------------- length, speed
#: Metres per kilometre.
M_PER_KM: Final = 1000.0
#: km/h per m/s: ``speed_kph = speed_mps * KPH_PER_MPS`` (1 m/s = 3.6 km/h).
KPH_PER_MPS: Final = 3.6
#: m/s per km/h: ``speed_mps = speed_kph * KPH_TO_MPS`` (the reciprocal of KPH_PER_MPS).
KPH_TO_MPS: Final = 1.0 / KPH_PER_MPS

# ---------------------------------------------------------------------------- energy, power
#: Megajoules per kilowatt-hour (1 kWh = 3.6 MJ, exact).
MJ_PER_KWH: Final = 3.6
#: Kilowatt-hours per megawatt-hour.
KWH_PER_MWH: Final = 1000.0
#: Kilowatt-hours per gigawatt-hour.
KWH_PER_GWH: Final = 1e6

# ---------------------------------------------------------------------------- mass
#: Grams per kilogram.
G_PER_KG: Final = 1000.0
#: Kilograms per tonne (metric ton).
KG_PER_T: Final = 1000.0
#: Grams per tonne.
G_PER_T: Final = 1e6
#: Tonnes per kilotonne.
T_PER_KT: Final = 1000.0
#: Tonnes per million tonnes (Mt), the unit of freight statistics.
T_PER_MT: Final = 1e6

# ---------------------------------------------------------------------------- volume
#: Litres per cubic metre.
L_PER_M3: Final = 1000.0
#: Litres per million litres (ML), the unit of fuel tables in reports.
L_PER_ML: Final = 1e6

# ---------------------------------------------------------------------------- transport work
#: Tonne-kilometres per million tonne-kilometres (the unit of freight-work tables).
TKM_PER_MTKM: Final = 1e6
