"""SIGTERM and SIGINT as exceptions while a folder is written, so temporary files are removed.

Python turns SIGINT into :class:`KeyboardInterrupt`, but SIGTERM (what ``kill``, job
schedulers and container runtimes send) ends the process at once: ``finally`` blocks and
``except BaseException`` clean-ups never run, and a half-written temporary results folder
stays behind.  :func:`signals_as_exceptions` installs handlers that raise
:class:`Terminated` instead, for the duration of a ``with`` block only, and restores the
previous handlers afterwards.  Nothing is installed at import.

Exit codes follow the shell convention 128 + signal number: 130 for SIGINT, 143 for
SIGTERM.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class Terminated(SystemExit):
    """The process received a termination signal; ``code`` is 128 + the signal number.

    Subclasses :class:`SystemExit`, so an uncaught one ends the process with that exit
    code and without a traceback, after every ``finally`` and clean-up block has run.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum

    @property
    def signal_name(self) -> str:
        """Name of the signal, e.g. ``"SIGTERM"``."""
        try:
            return signal.Signals(self.signum).name
        except ValueError:  # pragma: no cover - not a known signal
            return f"signal {self.signum}"


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def signals_as_exceptions() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` and SIGINT :class:`KeyboardInterrupt`.

    Handlers are installed only in the main thread (Python delivers signals there; other
    threads keep whatever the main thread set) and only over the default dispositions:
    a signal the caller chose to ignore (``SIG_IGN``, e.g. under ``nohup``) or handles
    itself keeps its handler.  The previous handlers are restored on exit.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, object] = {}
    try:
        term = signal.getsignal(signal.SIGTERM)
        if term == signal.SIG_DFL:
            previous[signal.SIGTERM] = term
            signal.signal(signal.SIGTERM, _raise_terminated)
        intr = signal.getsignal(signal.SIGINT)
        if intr == signal.SIG_DFL:  # the interpreter's default raises KeyboardInterrupt already
            previous[signal.SIGINT] = intr
            signal.signal(signal.SIGINT, signal.default_int_handler)
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
