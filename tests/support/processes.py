"""Stopping the servers and browsers that tests start."""

from __future__ import annotations

import subprocess


def stop(process: subprocess.Popen, seconds: float) -> None:
    """Ask `process` to end, and kill it if it has not after `seconds`."""
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
