"""The stock table: vehicle counts by fleet, size class, powertrain and vintage."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from transport_sim.codes import NEV_POWERTRAINS
from transport_sim.fleets.factors import emission_standard
from transport_sim.fleets.specs import FleetDefinition
from transport_sim.io import largest_remainder

if TYPE_CHECKING:
    from collections.abc import Mapping



# ======================================================================================
# stock table
# ======================================================================================
class StockKey(NamedTuple):
    """Key of a stock cell."""

    fleet: str
    size_class: str
    powertrain: str
    vintage: int


@dataclass(frozen=True)
class StockTable:
    """Vehicle counts by (fleet, size class, powertrain, vintage year) in one year.

    Only cells with vehicles are stored; counts are non-negative integers.
    """

    year: int
    counts: Mapping[StockKey, int]

    @classmethod
    def from_counts(cls, year: int, counts: Mapping[StockKey, int]) -> StockTable:
        """Build a table, dropping empty cells and sorting keys."""
        clean = {StockKey(*k): int(v) for k, v in sorted(counts.items()) if v > 0}
        if any(v < 0 for v in counts.values()):
            msg = "stock counts must not be negative"
            raise ValueError(msg)
        return cls(int(year), MappingProxyType(clean))

    def total(
        self,
        fleet: str | None = None,
        size_class: str | None = None,
        powertrain: str | None = None,
    ) -> int:
        """Return the number of vehicles matching the given fields (all when None)."""
        return sum(
            n
            for k, n in self.counts.items()
            if (fleet is None or k.fleet == fleet)
            and (size_class is None or k.size_class == size_class)
            and (powertrain is None or k.powertrain == powertrain)
        )

    def nev_share(self, fleet: str) -> float:
        """Return the bev + fcev share of ``fleet``'s stock (0 for an empty fleet)."""
        total = self.total(fleet)
        nev = sum(self.total(fleet, powertrain=p) for p in NEV_POWERTRAINS)
        return nev / total if total else 0.0

    def to_frame(self) -> pd.DataFrame:
        """Return the table as a DataFrame, one row per cell.

        Columns: year, fleet, size_class, powertrain, vintage, age_years, standard,
        vehicles.
        """
        rows = [
            (
                self.year, k.fleet, k.size_class, k.powertrain, k.vintage, self.year - k.vintage,
                emission_standard(k.vintage, k.fleet, k.size_class, k.powertrain), n,
            )
            for k, n in self.counts.items()
        ]
        return pd.DataFrame(
            rows,
            columns=[
                "year", "fleet", "size_class", "powertrain", "vintage", "age_years",
                "standard", "vehicles",
            ],
        )


def initial_stock(fleet_def: FleetDefinition, rng: np.random.Generator | None = None) -> StockTable:
    """Return the base-year stock by (fleet, size class, powertrain, vintage).

    Deterministic: class counts = stock x class share, powertrain counts = class count
    x powertrain share, vintage counts proportional to ``purchases_by_vintage(v) x
    S(base_year - v)`` (Weibull survival, legal cap), each step largest-remainder
    rounded so the integers add up exactly.

    Parameters
    ----------
    fleet_def
        The validated fleet definition.
    rng
        Not used (the stock is deterministic); accepted so callers can pass the run's
        generator uniformly.
    """
    del rng  # deterministic by design
    base = fleet_def.base_year
    counts: dict[StockKey, int] = {}
    for fleet in fleet_def.fleets.values():
        for cname, n_class in fleet.class_stock().items():
            cls = fleet.classes[cname]
            pts = [p for p, s in cls.powertrain_shares.items() if s > 0]
            n_pts = largest_remainder([n_class * cls.powertrain_shares[p] for p in pts], n_class)
            for pt, n_pt in zip(pts, n_pts, strict=True):
                if n_pt == 0:
                    continue
                age = cls.powertrains[pt].age
                vintages = list(range(base - age.max_age_years + 1, base + 1))
                weights = [age.vintage_weight(v) * age.survival(base - v) for v in vintages]
                total_w = sum(weights)
                n_v = largest_remainder([n_pt * w / total_w for w in weights], n_pt)
                for v, n in zip(vintages, n_v, strict=True):
                    if n:
                        counts[StockKey(fleet.name, cname, pt, v)] = n
    return StockTable.from_counts(base, counts)
