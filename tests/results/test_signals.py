"""SIGTERM, SIGINT and SIGKILL while a results folder is written (issue 13, leftovers).

Real subprocesses write a results folder whose ``extra`` step sleeps; they are killed
mid-write.  SIGTERM and SIGINT must remove the temporary ``.NAME.partial-PID-*`` folder
(exit codes 143 and 130); after SIGKILL the next writer in the same parent folder removes
it, whatever the names.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from transport_sim.results.folder import remove_stale_partials
from transport_sim.results.signals import Terminated, signals_as_exceptions

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")

WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import pandas as pd
    from transport_sim.results.folder import Results, marker, write_results

    out, ready = Path(sys.argv[1]), Path(sys.argv[2])

    def slow(folder, results):
        ready.write_text(str(folder))
        time.sleep(60)

    results = Results(tables={"annual": pd.DataFrame({"year": [2024]})},
                      meta={**marker("run"), "package": "transport_sim", "version": "t"})
    write_results(results, out, extra=slow)
    """
)


def _default_sigint() -> None:
    """Give SIGINT its default action in the child (run between fork and exec)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_writer(tmp_path: Path, name: str) -> tuple[subprocess.Popen[bytes], Path]:
    ready = tmp_path / f"{name}.ready"
    # the writer gets SIGINT's default action even when this process was started with
    # SIGINT ignored (a background job of a shell without job control): Python installs
    # its KeyboardInterrupt handler only if SIGINT is not ignored at start
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path / name), str(ready)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        preexec_fn=_default_sigint,  # noqa: PLW1509 - only resets a signal disposition
    )
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, "the writer never reached its write"
        time.sleep(0.05)
    partial = Path(ready.read_text())
    assert partial.is_dir() and ".partial-" in partial.name
    return proc, partial


def hidden(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".") and p.is_dir())


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, None)])
def test_signal_mid_write_removes_the_partial_folder(
    tmp_path: Path, signum: int, code: int | None
) -> None:
    proc, partial = start_writer(tmp_path, "run-a")
    proc.send_signal(signum)
    proc.wait(timeout=60)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if code is not None:
        assert proc.returncode == code, stderr
        assert "Traceback" not in stderr
    else:  # an uncaught KeyboardInterrupt: killed by SIGINT (-2) or exit code 130/1
        assert proc.returncode != 0
    assert not partial.exists()
    assert not (tmp_path / "run-a").exists()
    assert hidden(tmp_path) == []


def test_sigkill_leftover_is_removed_by_the_next_writer_whatever_its_name(
    tmp_path: Path,
) -> None:
    proc, partial = start_writer(tmp_path, "scenario-20260101-120000")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert partial.is_dir()  # SIGKILL cannot be caught
    # a live writer's partial folder is kept
    live = tmp_path / f".other.partial-{os.getpid()}-0123abcd"
    live.mkdir()
    removed = remove_stale_partials(tmp_path / "a-different-name")
    assert removed == [partial]
    assert not partial.exists()
    assert live.is_dir()


def test_an_interrupted_overwrite_is_restored(tmp_path: Path) -> None:
    """``.NAME.old-PID-*`` of a dead writer goes back to NAME when NAME is gone."""
    old = tmp_path / ".run.old-999999999-0123abcd"
    old.mkdir()
    (old / "run.json").write_text("{}", encoding="utf-8")
    remove_stale_partials(tmp_path / "run")
    assert (tmp_path / "run" / "run.json").is_file()
    assert not old.exists()


def test_handlers_are_installed_only_inside_the_block() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with signals_as_exceptions():
        inside = signal.getsignal(signal.SIGTERM)
        with pytest.raises(Terminated) as info:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)  # the handler runs between bytecodes
    assert info.value.code == 143
    assert signal.getsignal(signal.SIGTERM) == before
    assert inside != before or before != signal.SIG_DFL


def test_an_ignored_signal_stays_ignored() -> None:
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with signals_as_exceptions():
            assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, previous)


CLI_RUN = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import pandas as pd
    import transport_sim.pipeline.run as run_mod
    import transport_sim.report.markdown as md
    from transport_sim.cli import main
    from transport_sim.results.folder import Results, marker

    ready = Path(sys.argv[2])

    def tiny(scenario, seed=None, **kwargs):
        return Results(tables={"annual": pd.DataFrame({"year": [2024]})},
                       meta={**marker("run"), "package": "transport_sim", "version": "t"})

    def slow(folder, results):
        ready.write_text(str(folder))
        time.sleep(60)

    run_mod.run_tables = tiny
    md.render_into = slow
    sys.exit(main(["run", "--out", sys.argv[1], "--quiet"]))
    """
)


def test_cli_sigterm_mid_write_exits_143_with_one_line_and_no_leftover(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI_RUN, str(tmp_path / "out"), str(ready)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not ready.exists():
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    assert proc.returncode == 143, stderr
    assert stderr.strip().splitlines() == ["transport-sim: terminated by SIGTERM"]
    assert not (tmp_path / "out").exists()
    assert hidden(tmp_path) == []
