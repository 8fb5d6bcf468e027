"""Experimental designs: sizes, bounds, structure and determinism (complements test_sweep.py)."""

from __future__ import annotations

import numpy as np
import pytest

from transport_sim.sweep.designs import Design, Parameter, grid_size, salib_problem

RATE = Parameter("rate", "policy.bus.nev_share_of_new", "real", bounds=(0.2, 0.9))
YEAR = Parameter("year", "policy.taxi.nev_share_of_new", "integer", bounds=(2026, 2031),
                 transform="transition_year")  # fmt: skip
MODE = Parameter("mode", "charging.service_area_order", "categorical", values=("traffic", "gap"))


def test_grid_size_is_the_product_of_the_levels() -> None:
    a = Parameter("a", "x.a", "integer", values=(1, 2, 3, 4))
    b = Parameter("b", "x.b", "real", values=(0.5, 0.7, 0.9))
    c = Parameter("c", "x.c", "categorical", values=("p", "q"))
    points = Design("grid").points([a, b, c])
    assert len(points) == grid_size([a, b, c]) == 4 * 3 * 2
    assert len(set(points)) == len(points)
    assert points[0] == (1, 0.5, "p")
    assert points[-1] == (4, 0.9, "q")
    assert Design("grid").points([]) == [()]
    with pytest.raises(ValueError, match="grid"):
        Design("grid").n_points(3)
    with pytest.raises(ValueError, match="range"):
        RATE.levels()


@pytest.mark.parametrize("kind", ["lhs", "sobol"])
def test_points_stay_in_bounds_and_follow_parameter_order(kind: str) -> None:
    design = Design(kind, samples=16, seed=11)
    points = design.points([RATE, YEAR, MODE])
    assert len(points) == design.n_points(3)
    rates, years, modes = zip(*points, strict=True)
    assert all(0.2 <= r <= 0.9 for r in rates)
    assert all(isinstance(y, int) and 2026 <= y <= 2031 for y in years)
    assert set(modes) <= {"traffic", "gap"}
    # the columns are not interchangeable: the unit points map column by column
    unit = design.unit_points(3)
    np.testing.assert_allclose(rates, 0.2 + unit[:, 0] * 0.7)
    assert list(years) == [YEAR.from_unit(u) for u in unit[:, 1]]
    assert list(modes) == [MODE.from_unit(u) for u in unit[:, 2]]


def test_lhs_spreads_every_level_evenly() -> None:
    """A Latin hypercube of 12 points hits each of 6 integer years exactly twice."""
    points = Design("lhs", samples=12, seed=2).points([YEAR, RATE])
    years = [p[0] for p in points]
    assert np.unique(years, return_counts=True)[1].tolist() == [2] * 6


def test_sobol_has_saltelli_structure() -> None:
    """Rows come in blocks A, AB_1..AB_D, BA_1..BA_D, B of one base sample each.

    ``AB_i`` is ``A`` with column ``i`` taken from ``B``; ``BA_i`` is ``B`` with column
    ``i`` from ``A`` (second-order scheme).
    """
    d, n = 3, 8
    unit = Design("sobol", samples=n, seed=4).unit_points(d)
    assert unit.shape == (n * (2 * d + 2), d)
    blocks = unit.reshape(n, 2 * d + 2, d)  # SALib interleaves: per base row, all blocks
    a, b = blocks[:, 0], blocks[:, -1]
    for i in range(d):
        ab, ba = blocks[:, 1 + i], blocks[:, 1 + d + i]
        others = [j for j in range(d) if j != i]
        np.testing.assert_array_equal(ab[:, others], a[:, others])
        np.testing.assert_array_equal(ab[:, i], b[:, i])
        np.testing.assert_array_equal(ba[:, others], b[:, others])
        np.testing.assert_array_equal(ba[:, i], a[:, i])
    first = Design("sobol", samples=n, seed=4, second_order=False).unit_points(d)
    assert first.shape == (n * (d + 2), d)


@pytest.mark.parametrize("kind", ["lhs", "sobol"])
def test_designs_are_deterministic_for_a_seed(kind: str) -> None:
    one = Design(kind, samples=8, seed=21).points([RATE, YEAR])
    assert one == Design(kind, samples=8, seed=21).points([RATE, YEAR])
    assert one != Design(kind, samples=8, seed=22).points([RATE, YEAR])


def test_salib_problem_is_the_unit_cube() -> None:
    problem = salib_problem(["a", "b"])
    assert problem == {"num_vars": 2, "names": ["a", "b"], "bounds": [[0.0, 1.0], [0.0, 1.0]]}


def test_transforms_of_a_sampled_point() -> None:
    base = {"2024": 0.4, "2030": 0.8}
    year = Design("lhs", samples=4, seed=1).points([YEAR])[0][0]
    assert YEAR.scenario_value(year, base, 2024) == {"2024": 0.4, str(year): 1.0}
    half = Parameter("s", "p", "real", bounds=(0.5, 2.0), transform="scale")
    assert half.scenario_value(0.5, base, 2024) == {"2024": 0.2, "2030": 0.4}
    assert RATE.scenario_value(0.55, base, 2024) == 0.55  # "set" replaces the curve
    target = Parameter("t", "p", "integer", bounds=(2026, 2030), transform="transition_year",
                       target=0.75)  # fmt: skip
    assert target.scenario_value(2027, 0.1, 2024) == {"2024": 0.1, "2027": 0.75}
