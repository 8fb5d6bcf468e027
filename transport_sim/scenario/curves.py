"""Year-indexed policy curves: piecewise-linear between given years, flat outside.

A curve is written in TOML as a table of ``year = value`` pairs, for example
``nev_share_of_new = {2024 = 0.8, 2025 = 1.0}``, or as a single number for a constant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Curve:
    """A piecewise-linear function of the calendar year.

    Parameters
    ----------
    years
        Strictly increasing calendar years at which the value is given.
    values
        The values at those years (same length as ``years``).

    Notes
    -----
    Between two given years the value is interpolated linearly; before the first year
    it equals the first value and after the last year the last value (flat outside).
    """

    years: tuple[int, ...]
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.years) == 0 or len(self.years) != len(self.values):
            msg = "a curve needs at least one (year, value) pair"
            raise ValueError(msg)
        if any(b <= a for a, b in zip(self.years, self.years[1:], strict=False)):
            msg = "curve years must be strictly increasing"
            raise ValueError(msg)

    @classmethod
    def constant(cls, value: float) -> Curve:
        """Return a curve that equals ``value`` in every year."""
        return cls((2000,), (float(value),))

    def at(self, year: float) -> float:
        """Return the value in ``year`` (interpolated, flat outside the given years)."""
        return float(np.interp(year, self.years, self.values))

    def breakpoints(self) -> tuple[int, ...]:
        """Return the years at which the value is given."""
        return self.years

    def to_toml(self) -> dict[str, float] | float:
        """Return the TOML form: a ``{year: value}`` table, or a number when constant."""
        if len(self.years) == 1 and self.years[0] == 2000:
            return self.values[0]
        return {str(y): v for y, v in zip(self.years, self.values, strict=True)}
