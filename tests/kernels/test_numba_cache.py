"""The Numba cache folder is keyed by every kernel source, so an edit never runs stale code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import transport_sim
from transport_sim.kernels import cache

PACKAGE = Path(transport_sim.__file__).resolve().parent

#: A compiled caller in its own module that inlines a kernel of another module
#: (``energy.energy_for_distance_kwh``), as the fused loop in ``day.py`` does.
CALLER = '''
from numba import njit

from transport_sim.kernels.energy import energy_for_distance_kwh


@njit(cache=True)
def call(distance_m, kwh_per_m):
    return energy_for_distance_kwh(distance_m, kwh_per_m)
'''

SCRIPT = """
import sys
import transport_sim
assert transport_sim.__file__.startswith(sys.argv[1]), transport_sim.__file__
from transport_sim.kernels.cache import configure_numba_cache
configure_numba_cache()
from transport_sim.kernels._cache_probe import call
print(repr(call(1000.0, 0.002)))
"""


def _copy_package(root: Path) -> Path:
    dst = root / "transport_sim"
    shutil.copytree(PACKAGE, dst, ignore=shutil.ignore_patterns("__pycache__"))
    (dst / "kernels" / "_cache_probe.py").write_text(CALLER, encoding="utf-8")
    return dst


def _run(copy_root: Path, env: dict[str, str]) -> float:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(copy_root)],
        cwd=copy_root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return float(proc.stdout.strip().splitlines()[-1])


def _env(copy_root: Path, xdg: Path, numba_cache_dir: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "TRANSPORT_SIM"))}
    env.pop(cache.MARKER_ENV_VAR, None)
    env["PYTHONPATH"] = str(copy_root)
    env["XDG_CACHE_HOME"] = str(xdg)
    if numba_cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = str(numba_cache_dir)
    return env


@pytest.mark.slow  # four fresh interpreters that import and compile with Numba
def test_edit_in_another_module_runs_the_new_code(tmp_path: Path) -> None:
    """Edit the callee's module in a copy of the package: the new code runs.

    The control run keeps one fixed ``NUMBA_CACHE_DIR`` (what ``cache=True`` alone does):
    there the caller is loaded from its cache with the old callee inlined, which is the
    stale-code bug this cache layout prevents.
    """
    root = tmp_path / "src"
    pkg = _copy_package(root)
    keyed = _env(root, tmp_path / "xdg", None)
    fixed = _env(root, tmp_path / "xdg", tmp_path / "fixed-cache")

    assert _run(root, keyed) == pytest.approx(2.0)  # 1000 m x 0.002 kWh/m
    assert _run(root, fixed) == pytest.approx(2.0)
    folders_before = sorted(p.name for p in (tmp_path / "xdg" / "transport_sim").iterdir())

    energy = pkg / "kernels" / "energy.py"
    text = energy.read_text(encoding="utf-8")
    body = "    return distance_m * kwh_per_m\n"
    assert text.count(body) == 1, "energy_for_distance_kwh changed: update this test"
    energy.write_text(text.replace(body, "    return 3.0 * distance_m * kwh_per_m\n"), "utf-8")

    assert _run(root, keyed) == pytest.approx(6.0)  # the edit runs
    assert _run(root, fixed) == pytest.approx(2.0)  # stale without the keyed folder
    folders_after = sorted(p.name for p in (tmp_path / "xdg" / "transport_sim").iterdir())
    assert len(folders_before) == 1
    assert len(folders_after) == 2
    assert folders_before[0] in folders_after


def test_hash_covers_every_kernel_file_and_the_frozen_constants(tmp_path: Path) -> None:
    pkg = tmp_path / "transport_sim"
    shutil.copytree(PACKAGE, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    names = {p.relative_to(pkg).as_posix() for p in cache.kernel_source_files(pkg)}
    kernel_files = {f"kernels/{p.name}" for p in (pkg / "kernels").glob("*.py")}
    assert kernel_files <= names
    assert {"kernels/day.py", "kernels/movement.py", "codes.py"} <= names
    assert not any(n.startswith(("sim/", "network/")) for n in names)
    base = cache.kernel_sources_hash(pkg)
    assert base == cache.kernel_sources_hash(pkg)  # deterministic
    assert len(base) == cache.HASH_CHARS
    seen = {base}
    for name in ("kernels/day.py", "codes.py"):
        path = pkg / name
        original = path.read_bytes()
        path.write_bytes(original + b"\n# edited\n")
        seen.add(cache.kernel_sources_hash(pkg))
        path.write_bytes(original)
    assert len(seen) == 3
    assert cache.kernel_sources_hash(pkg) == base
    (pkg / "sim" / "model.py").write_text("# not a kernel\n", encoding="utf-8")
    assert cache.kernel_sources_hash(pkg) == base


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch):
    """Monkeypatch for the cache settings; the session's folder is restored afterwards."""
    from numba.core import config

    monkeypatch.setattr(config, "CACHE_DIR", config.CACHE_DIR)
    yield monkeypatch
    monkeypatch.undo()
    cache.configure_numba_cache()  # re-points kernels moved by the test


def test_user_set_cache_dir_is_respected(tmp_path: Path, env: pytest.MonkeyPatch) -> None:
    monkeypatch = env
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.delenv(cache.MARKER_ENV_VAR, raising=False)
    assert cache.configure_numba_cache() == tmp_path / "mine"
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "mine")


def test_own_setting_is_rekeyed(tmp_path: Path, env: pytest.MonkeyPatch) -> None:
    """A folder this module set earlier (e.g. inherited from a parent) is re-keyed."""
    monkeypatch = env
    old = str(tmp_path / "transport_sim" / "numba-0000000000000000")
    monkeypatch.setenv("NUMBA_CACHE_DIR", old)
    monkeypatch.setenv(cache.MARKER_ENV_VAR, old)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = cache.configure_numba_cache()
    assert folder == tmp_path / "transport_sim" / f"numba-{cache.kernel_sources_hash()}"
    assert folder.is_dir()
    assert os.environ["NUMBA_CACHE_DIR"] == os.environ[cache.MARKER_ENV_VAR] == str(folder)


def test_kernels_decorated_before_configuration_are_repointed(
    tmp_path: Path, env: pytest.MonkeyPatch
) -> None:
    from numba.core import config

    from transport_sim.kernels.energy import energy_for_distance_kwh

    env.delenv("NUMBA_CACHE_DIR", raising=False)
    env.delenv(cache.MARKER_ENV_VAR, raising=False)
    env.setenv("XDG_CACHE_HOME", str(tmp_path))
    before = energy_for_distance_kwh._cache.cache_path
    folder = cache.configure_numba_cache()
    assert not Path(before).is_relative_to(tmp_path)
    assert Path(energy_for_distance_kwh._cache.cache_path).is_relative_to(folder)
    assert str(folder) == config.CACHE_DIR


def test_cli_sets_the_keyed_folder_before_any_command(
    tmp_path: Path, env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from transport_sim.cli import main

    env.delenv("NUMBA_CACHE_DIR", raising=False)
    env.delenv(cache.MARKER_ENV_VAR, raising=False)
    env.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert main(["compare", str(tmp_path / "no-such-run")]) == 2  # a user error, exit 2
    assert "no-such-run" in capsys.readouterr().err
    assert os.environ["NUMBA_CACHE_DIR"] == str(cache.keyed_cache_dir())
    assert cache.keyed_cache_dir().parent == tmp_path / "transport_sim"
