# ruff: noqa: RUF001 - Chinese labels use full-width punctuation on purpose
"""Figures: every PNG exists, is plausible and not blank; plot_folder reproduces them.

The synthetic results come from tests/report/test_markdown.py (same folder on ``sys.path``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from types import MappingProxyType, SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from test_markdown import make_results

from transport_sim.codes import CARRIERS, POWERTRAINS, RESULT_FLEETS, ROAD_CLASSES
from transport_sim.results.folder import write_results

RUN_FIGURES = ("co2_by_fleet.png", "fleet_composition.png", "energy_by_carrier.png",
               "final_energy_by_carrier.png", "plan_targets.png", "nox_pm.png",
               "charger_utilisation_weekday.png", "charger_utilisation_holiday.png",
               "charger_map.png", "day_profile.png")
MIN_BYTES = 10_000
MIN_WIDTH_PX = 800
MIN_PIXEL_STD = 8.0  # grey levels 0-255; a blank white PNG has 0


def check_png(path: Path) -> None:
    """A PNG of plausible size that is not blank."""
    assert path.is_file(), path.name
    assert path.stat().st_size > MIN_BYTES, path.name
    with Image.open(path) as image:
        assert image.format == "PNG", path.name
        assert image.width >= MIN_WIDTH_PX, path.name
        grey = np.asarray(image.convert("L"), dtype=float)
    assert grey.std() > MIN_PIXEL_STD, f"{path.name} looks blank"
    # not a single-colour band either: some dark pixels (text, lines) exist
    assert (grey < 100).mean() > 0.001, f"{path.name} has no dark pixels"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results folder written the way ``run()`` writes it: figures drawn by render_into."""
    from transport_sim.report.markdown import render_into

    folder = tmp_path_factory.mktemp("plots") / "run"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no missing glyphs, no layout warnings
        write_results(make_results(), folder, extra=render_into)
    return folder


@pytest.mark.parametrize("name", RUN_FIGURES)
def test_every_figure_is_a_plausible_png(rendered: Path, name: str) -> None:
    check_png(rendered / name)


def test_the_documented_figure_list_matches_what_is_drawn(rendered: Path) -> None:
    from transport_sim.report.figures import RUN_FIGURES as DOCUMENTED

    expanded = {n.format(day_type=d) for n in DOCUMENTED for d in ("weekday", "holiday")}
    assert expanded == set(RUN_FIGURES)
    # plus the decomposition waterfall (no tornado: the synthetic scenario has no hydrogen
    # section), and every figure again with Chinese labels for report.zh.md
    english = {*RUN_FIGURES, "co2_decomposition.png"}
    chinese = {n.replace(".png", ".zh.png") for n in english}
    assert english | chinese == {p.name for p in rendered.glob("*.png")}


def test_report_lists_every_figure(rendered: Path) -> None:
    text = (rendered / "report.md").read_text(encoding="utf-8")
    for name in RUN_FIGURES:
        assert f"]({name})" in text
    assert not [p for p in rendered.iterdir() if p.name.startswith(".")]  # no temp files


def test_plot_folder_reproduces_the_figures(rendered: Path, tmp_path: Path) -> None:
    from transport_sim.report.markdown import plot_folder

    copy = tmp_path / "copy"
    shutil.copytree(rendered, copy)
    for png in copy.glob("*.png"):
        png.unlink()
    (copy / "report.md").unlink()
    written = plot_folder(copy)
    assert set(RUN_FIGURES) <= {p.name for p in written}
    assert {p.name for p in written} == {p.name for p in rendered.glob("*.png")}
    for name in RUN_FIGURES:
        check_png(copy / name)
        with Image.open(copy / name) as again, Image.open(rendered / name) as first:
            assert again.size == first.size, name
    assert (copy / "report.md").read_text() == (rendered / "report.md").read_text()


def test_figures_leave_no_pyplot_state(rendered: Path) -> None:
    from matplotlib._pylab_helpers import Gcf

    assert Gcf.get_num_fig_managers() == 0


def test_importing_report_modules_has_no_side_effects() -> None:
    code = ("import sys, transport_sim.report.markdown, transport_sim.report.figures, "
            "transport_sim.report.targets;"
            "print(sorted(m for m in ('matplotlib', 'seaborn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_palettes_are_defined_once_and_immutable() -> None:
    from transport_sim.report import style as plots

    for palette, names in ((plots.FLEET_COLORS, RESULT_FLEETS),
                           (plots.POWERTRAIN_COLORS, POWERTRAINS),
                           (plots.CARRIER_COLORS, CARRIERS)):
        assert isinstance(palette, MappingProxyType)
        assert set(names) <= set(palette)
        assert len(set(palette.values())) == len(palette)  # distinct colours
        with pytest.raises(TypeError):
            palette["bus"] = "#000000"  # type: ignore[index]
    assert isinstance(plots.SCENARIO_COLORS, tuple)


def test_labels_exist_in_both_languages() -> None:
    from transport_sim.report.style import LABELS, NAMES, Labeller

    for key, (en, zh) in {**LABELS, **NAMES}.items():
        assert en, key
        assert zh, key
    lab = Labeller("en+zh")
    assert lab.text("co2_axis") == "CO₂, kt/yr\n二氧化碳，千吨/年"
    assert lab.name("bus") == "bus 公交车"
    assert Labeller("zh").text("map_title", year=2030, day="holiday") == \
        "充电站日利用率分布，2030年节假日高峰"
    assert Labeller("en").text("map_title", year=2030, day="holiday").endswith(
        "2030 holiday peak")


def test_chinese_without_a_cjk_font_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    from transport_sim.report import style as plots

    monkeypatch.setattr(plots, "find_cjk_font", lambda: None)
    with pytest.warns(UserWarning, match="noto-cjk-sans-otc"):
        assert plots.resolve_lang("zh") == ("en", None)
    assert plots.resolve_lang("en") == ("en", None)


def test_chinese_labels_with_a_cjk_font(tmp_path: Path) -> None:
    from transport_sim.report import figures
    from transport_sim.report import style as plots

    # the font is a dependency (noto-cjk-sans-otc): it must be found, no skip
    assert plots.find_cjk_font() == "Noto Sans CJK SC"
    results = make_results(last=2026)
    for lang in ("en+zh", "zh"):
        (tmp_path / lang).mkdir()
        with warnings.catch_warnings():
            # a missing glyph is a UserWarning ("Glyph ... missing from font(s)")
            warnings.simplefilter("error")
            written = figures.draw_run_figures(
                {"annual": results.tables["annual"]}, results.meta, results.scenario_toml,
                tmp_path / lang, lang=lang)
        for path in written:
            check_png(path)


def test_site_names_the_fonts_cannot_draw_fall_back_to_their_ids() -> None:
    from transport_sim.report.style import site_name

    row = pd.Series({"name": "武当山服务区", "site_id": "service_area:11:武当山服务区"})
    assert site_name(row, None) == "service_area:11"
    assert site_name(row, "Noto Sans CJK SC") == "武当山服务区"


def test_map_draws_the_road_network_under_the_sites() -> None:
    from matplotlib.collections import LineCollection

    from transport_sim.report import maps
    from transport_sim.report import style as plots

    chargers = make_results(last=2025).tables["chargers"]
    lon = np.array([109.5, 110.0, 110.5, 111.0])
    lat = np.array([32.2, 32.6, 32.7, 32.9])
    roads = SimpleNamespace(node_lon=lon, node_lat=lat, edge_tail=np.array([0, 1, 2]),
                            edge_head=np.array([1, 2, 3]),
                            edge_class=np.array([0, 3, ROAD_CLASSES.index("water")]))
    network = SimpleNamespace(roads=roads, water=None)
    info = plots.RunInfo("test, seed 1", schematic=True)
    fig = maps.fig_charger_map(chargers, network, info, plots.Labeller("en"), None)
    ax = fig.axes[0]
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(lines) == 1
    assert len(lines[0].get_segments()) == 3
    assert "SCHEMATIC network" in fig.get_suptitle()
    fig.clear()


def test_titles_flag_the_schematic_network_only_when_it_is_used() -> None:
    from transport_sim.report import figures
    from transport_sim.report import style as plots

    lab = plots.Labeller("en")
    annual = make_results(last=2026).tables["annual"]
    for schematic in (True, False):
        info = plots.RunInfo.from_meta({"scenario": "x", "seed": 1,
                                        "network_schematic": schematic})
        fig = figures.fig_co2_by_fleet(annual, info, lab)
        assert ("SCHEMATIC" in fig.get_suptitle()) is schematic
        for ax in fig.axes:
            assert ax.get_xlabel() == "year"
        assert fig.axes[0].get_ylabel() == "CO₂, kt/yr"
        fig.clear()


def test_energy_by_carrier_attributes_each_row_to_its_carrier() -> None:
    from transport_sim.report.figures import energy_kwh_by_carrier

    annual = make_results(last=2026).tables["annual"]
    table = energy_kwh_by_carrier(annual)
    assert table.sum().sum() == pytest.approx(annual["energy_kwh"].sum())
    bev = annual[(annual["powertrain"] == "bev") | (annual["powertrain"] == "electric_rail")]
    assert table["electricity"].sum() == pytest.approx(bev["energy_kwh"].sum())
