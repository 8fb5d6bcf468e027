"""Sensitivity of WTW CO2 to the uncertain accounting factors, without re-simulating.

A finished run's ``annual.parquet`` holds the carrier amounts of every cell (litres,
kg, kWh).  Its well-to-wheel CO2 is recomputed here from those amounts with one factor
at a time set to the low or high value of ``fleets/factor_ranges.toml`` (grid factor,
T&D losses, hydrogen pathway mix, fuel upstream shares, BEV energy per km); the central
setting reproduces the run's ``co2_wtw_t``.  Grid and hydrogen curves come from the
run's ``scenario.resolved.toml``, so every number is computed from the results folder.

The activity (km, t-km) stays as simulated: a higher BEV energy per km changes the
electricity drawn, not the trips made (its effect on charging queues is not captured).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from transport_sim.errors import TransportSimError, describe
from transport_sim.fleets.factors import CONSTANTS, co2_ttw_kg_per_unit
from transport_sim.paths import repo_root
from transport_sim.scenario.curves import Curve

#: The factors varied, in report order.
FACTORS: Final = ("grid", "td_loss", "hydrogen_mix", "upstream", "bev_energy")
SETTINGS: Final = ("low", "central", "high")
FUEL_COLUMNS: Final = {"diesel": "diesel_l", "petrol": "petrol_l", "cng": "cng_kg",
                       "lng": "lng_kg"}
#: Zero-emission powertrains whose saving against the same fleet's fossil cells is checked.
LEVER_POWERTRAINS: Final = ("bev", "fcev")
H2_PATHWAYS: Final = ("coal", "smr", "clean", "grid_electrolysis")


def ranges_path() -> Path:
    """Return ``fleets/factor_ranges.toml`` of the repository."""
    return repo_root() / "fleets" / "factor_ranges.toml"


@dataclass(frozen=True)
class FactorRange:
    """Low and high value of one accounting factor (``fleets/factor_ranges.toml``)."""

    name: str
    label: str
    label_zh: str
    low: Any
    high: Any
    source: str


def load_ranges(path: Path | None = None) -> dict[str, FactorRange]:
    """Read the factor ranges; raise :class:`TransportSimError` naming a bad field."""
    path = Path(path) if path is not None else ranges_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TransportSimError(describe(path, "file", str(path), f"unreadable: {exc}")) from None
    out = {}
    for name in FACTORS:
        sec = data.get(name)
        if not isinstance(sec, dict):
            raise TransportSimError(describe(path, name, None, "section missing"))
        for key in ("low", "high", "source", "label", "label_zh"):
            if key not in sec:
                raise TransportSimError(describe(path, f"{name}.{key}", None, "missing"))
        if name == "hydrogen_mix":
            for side in ("low", "high"):
                mix = sec[side]
                if set(mix) != set(H2_PATHWAYS) or abs(sum(mix.values()) - 1.0) > 1e-9:
                    raise TransportSimError(describe(
                        path, f"{name}.{side}", mix,
                        f"shares of {', '.join(H2_PATHWAYS)} summing to 1"))
        out[name] = FactorRange(name, sec["label"], sec["label_zh"], sec["low"], sec["high"],
                                sec["source"])
    return out


def load_standard_coal(path: Path | None = None) -> dict[str, float]:
    """Return the GB/T 2589-2020 coefficients (``[standard_coal]``), kgce per unit."""
    path = Path(path) if path is not None else ranges_path()
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {k: float(v) for k, v in data["standard_coal"].items() if k != "source"}


def _curve(value: Any) -> Curve:
    if isinstance(value, dict):
        items = sorted((int(k), float(v)) for k, v in value.items())
        return Curve(tuple(y for y, _ in items), tuple(v for _, v in items))
    return Curve.constant(float(value))


@dataclass(frozen=True)
class Setting:
    """One set of accounting factors (a factor at low, central or high)."""

    grid_scale: float = 1.0
    td_loss: float | None = None
    hydrogen_mix: dict[str, float] | None = None
    upstream: dict[str, float] | None = None
    bev_scale: float = 1.0


def setting_for(factor: str, level: str, ranges: dict[str, FactorRange]) -> Setting:
    """Return the :class:`Setting` with ``factor`` at ``level`` (``central``: the run's)."""
    if level == "central":
        return Setting()
    value = getattr(ranges[factor], level)
    return {
        "grid": lambda: Setting(grid_scale=float(value)),
        "td_loss": lambda: Setting(td_loss=float(value)),
        "hydrogen_mix": lambda: Setting(hydrogen_mix=dict(value)),
        "upstream": lambda: Setting(upstream=dict(value)),
        "bev_energy": lambda: Setting(bev_scale=float(value)),
    }[factor]()


def wtw_t(annual: pd.DataFrame, scenario: dict[str, Any], setting: Setting) -> np.ndarray:
    """Return WTW CO2 (t) of every row of ``annual`` under ``setting``.

    Parameters
    ----------
    annual
        ``annual.parquet``.
    scenario
        The run's ``scenario.resolved.toml`` as a dict (``grid``, ``hydrogen``).
    setting
        Factor values; the default :class:`Setting` reproduces ``annual.co2_wtw_t``.
    """
    grid = _curve(scenario["grid"]["co2_kg_per_kwh"])
    mix_curves = {p: _curve(v) for p, v in scenario["hydrogen"]["pathway_mix"].items()}
    td = CONSTANTS["grid_td_loss_share"].value if setting.td_loss is None else setting.td_loss
    years = annual["year"].to_numpy(dtype=float)
    elec_kg = np.array([grid.at(y) for y in years]) * setting.grid_scale / (1.0 - td)
    if setting.hydrogen_mix is None:
        shares = {p: np.array([c.at(y) for y in years]) for p, c in mix_curves.items()}
    else:
        shares = {p: np.full(len(years), s) for p, s in setting.hydrogen_mix.items()}
    h2 = np.zeros(len(years))
    for pathway, share in shares.items():
        if pathway == "grid_electrolysis":
            factor = CONSTANTS["hydrogen_electrolysis_kwh_per_kg"].value * elec_kg
        else:
            factor = CONSTANTS[f"hydrogen_{pathway}_co2_kg_per_kg"].value
        h2 = h2 + share * factor
    kg = np.zeros(len(years))
    for carrier, col in FUEL_COLUMNS.items():
        up = (CONSTANTS[f"{carrier}_upstream_share"].value if setting.upstream is None
              else setting.upstream[carrier])
        kg += annual[col].to_numpy(dtype=float) * co2_ttw_kg_per_unit(carrier) * (1.0 + up)
    bev = (annual["powertrain"] == "bev").to_numpy() & (
        annual["fleet"] != "rail_freight").to_numpy()
    elec = annual["electricity_kwh"].to_numpy(dtype=float) * np.where(bev, setting.bev_scale, 1.0)
    kg += elec * elec_kg + annual["hydrogen_kg"].to_numpy(dtype=float) * h2
    return kg / 1000.0


def report_years(annual: pd.DataFrame) -> list[int]:
    """Return the years reported: 2030 and 2035 when run, else the last year."""
    years = sorted(int(y) for y in annual["year"].unique())
    chosen = [y for y in (2030, 2035) if y in years]
    return chosen or years[-1:]


def sensitivity_table(annual: pd.DataFrame, scenario: dict[str, Any],
                      ranges: dict[str, FactorRange] | None = None) -> pd.DataFrame:
    """Total WTW CO2 (t) per factor, setting and report year.

    Returns
    -------
    pandas.DataFrame
        Columns ``factor, setting, year, co2_wtw_t``.
    """
    ranges = ranges or load_ranges()
    years = report_years(annual)
    rows = []
    for factor in FACTORS:
        for level in SETTINGS:
            co2 = pd.Series(wtw_t(annual, scenario, setting_for(factor, level, ranges)),
                            index=annual.index).groupby(annual["year"]).sum()
            rows += [{"factor": factor, "setting": level, "year": y, "co2_wtw_t": float(co2[y])}
                     for y in years]
    return pd.DataFrame(rows)


def saving_table(reference: pd.DataFrame, ref_scenario: dict[str, Any], other: pd.DataFrame,
                 other_scenario: dict[str, Any],
                 ranges: dict[str, FactorRange] | None = None) -> pd.DataFrame:
    """CO2 saving of ``other`` against ``reference`` (t, positive = less CO2) per setting."""
    ranges = ranges or load_ranges()
    a = sensitivity_table(reference, ref_scenario, ranges)
    b = sensitivity_table(other, other_scenario, ranges)
    merged = a.merge(b, on=["factor", "setting", "year"], suffixes=("_ref", "_other"))
    merged["saving_t"] = merged["co2_wtw_t_ref"] - merged["co2_wtw_t_other"]
    return merged


def lever_table(annual: pd.DataFrame, scenario: dict[str, Any],
                ranges: dict[str, FactorRange] | None = None) -> pd.DataFrame:
    """WTW saving of each zero-emission powertrain against its fleet's fossil cells.

    For a BEV or FCEV cell, ``saving = activity x (fossil CO2 per activity - cell CO2
    per activity)``, activity in t-km for trucks and vehicle-km otherwise; the fossil
    intensity is that of the other powertrains of the same fleet and size class (same
    year) when ``annual`` has ``size_class`` (``annual_by_class.parquet``), else of the
    same fleet.  Savings are summed over size classes; computed for every factor
    setting; ``sign_flips`` marks levers whose saving changes sign inside the ranges.

    Returns
    -------
    pandas.DataFrame
        Columns ``fleet, powertrain, year, min_saving_t, central_saving_t,
        max_saving_t, sign_flips, worst_factor, best_factor`` (factor settings as
        ``"factor:level"``).
    """
    ranges = ranges or load_ranges()
    years = report_years(annual)
    road = annual[annual["fleet"] != "rail_freight"]
    act = np.where(road["fleet"] == "truck", road["tkm"], road["vkm"]).astype(float)
    savings: dict[tuple[str, str, int], list[tuple[float, str]]] = {}
    for factor in FACTORS:
        for level in SETTINGS:
            co2 = wtw_t(road, scenario, setting_for(factor, level, ranges))
            frame = road[["year", "fleet", "powertrain"]].assign(
                co2=co2, act=act, cls=road.get("size_class", ""))
            sums: dict[tuple[str, str, int], float] = {}
            for (year, fleet, _), grp in frame[frame["year"].isin(years)].groupby(
                    ["year", "fleet", "cls"]):
                fossil = grp[~grp["powertrain"].isin(LEVER_POWERTRAINS)]
                if fossil["act"].sum() <= 0:
                    continue
                intensity = fossil["co2"].sum() / fossil["act"].sum()
                for rec in grp[grp["powertrain"].isin(LEVER_POWERTRAINS)].itertuples():
                    if rec.act <= 0:
                        continue
                    key = (fleet, rec.powertrain, int(year))
                    sums[key] = sums.get(key, 0.0) + rec.act * intensity - rec.co2
            for key, saving in sums.items():
                savings.setdefault(key, []).append((float(saving), f"{factor}:{level}"))
    rows = []
    for (fleet, pt, year), values in sorted(savings.items()):
        vals = np.array([v for v, _ in values])
        central = next(v for v, tag in values if tag.endswith(":central"))
        worst = values[int(np.argmin(vals))][1]
        best = values[int(np.argmax(vals))][1]
        rows.append({"fleet": fleet, "powertrain": pt, "year": year,
                     "min_saving_t": float(vals.min()), "central_saving_t": central,
                     "max_saving_t": float(vals.max()),
                     "sign_flips": bool(vals.min() < 0.0 < vals.max()),
                     "worst_factor": worst, "best_factor": best})
    return pd.DataFrame(rows, columns=["fleet", "powertrain", "year", "min_saving_t",
                                       "central_saving_t", "max_saving_t", "sign_flips",
                                       "worst_factor", "best_factor"])
