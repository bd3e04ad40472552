"""A judge in a process of its own that joins a fork server another process started, as a
`grade` run's workers do; it does what its parent tells it over a pipe."""

from __future__ import annotations

from multiprocessing.connection import Connection

from autograder.sandbox import Sandbox, SandboxError, SandboxShare


def judge(share: SandboxShare, orders: Connection) -> None:
    """Answer each order: "layers" (or the error starting gives), "ping" (a launched student's
    answer), "restart" (a fork server of its own), "close" (hang up, then end)."""
    sandbox = Sandbox.joined(share)
    while True:
        order = orders.recv()
        try:
            if order == "layers":
                orders.send(sandbox.started())
            elif order == "ping":
                student = sandbox.launch({})
                answer = student.request({"behaviour": "ping"}, timeout=10)
                student.finish()
                orders.send(answer)
            elif order == "restart":
                sandbox.restart()
                orders.send("restarted")
            elif order == "close":
                sandbox.close()
                orders.send("closed")
                return
        except SandboxError as error:
            orders.send(f"SandboxError: {error}")
