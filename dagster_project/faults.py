"""Crash points for the kill-and-rerun tests.

With XXGK_CRASH_AT=<name> in its environment, a process kills itself with SIGKILL when it
reaches the point of that name: no handler, no cleanup, as when the machine or an operator
kills it. Without the variable a point costs one dictionary lookup.
"""

import os
import signal

ENV = "XXGK_CRASH_AT"


def crash_point(name: str) -> None:
    """SIGKILL this process here if XXGK_CRASH_AT names this point."""
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
