"""Behaviours for the sandbox tests, run inside real student processes.

`serve` answers requests until the channel closes; each request names a behaviour, which
may misbehave in the ways student code can.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import sys
import threading
import time
from typing import Any

from autograder.sandbox.protocol import ChannelClosed, receive_message, send_message

_prepared_with: dict[str, Any] = {}


def prepare(**preparation: Any) -> None:
    """Called by the fork server before it forks anyone: what it was given is kept for every
    student process (the `prepared` behaviour)."""
    _prepared_with.update(preparation)


def serve(channel: socket.socket, payload: dict[str, Any]) -> None:
    while True:
        try:
            request = receive_message(channel)
        except ChannelClosed:
            return
        send_message(channel, BEHAVIOURS[request["behaviour"]](request, payload))


def _payload(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    return {"payload": payload}


def _spin(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    while True:
        pass


def _sleep(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    time.sleep(3600)
    return {}


def _busy_then_asleep(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """Busy for `busy_seconds` on the clock, then asleep: stopped while waiting."""
    until = time.monotonic() + request["busy_seconds"]
    while time.monotonic() < until:
        pass
    time.sleep(3600)
    return {}


def _cpu_work(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """Honest work that needs `cpu_seconds` of CPU, then says how long it took on the clock."""
    wall, cpu = time.monotonic(), time.process_time()
    while time.process_time() - cpu < request["cpu_seconds"]:
        pass
    return {"wall": time.monotonic() - wall, "cpu": time.process_time() - cpu}


def _cpu_work_in_child(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """The same work done by a child process while this one waits for it."""
    wall = time.monotonic()
    child = os.fork()
    if child == 0:
        _cpu_work(request, payload)
        os._exit(0)
    os.waitpid(child, 0)
    return {"wall": time.monotonic() - wall}


def _stubborn(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):
        signal.signal(number, signal.SIG_IGN)
    while True:
        pass


def _hog(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    chunks = [b"\x01" * (16 << 20) for _ in range(request["megabytes"] // 16)]
    return {"allocated": len(chunks) * 16}


def _hog_in_children(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """Each child stays under the per-process cap; together they do not."""
    children = []
    for _ in range(request["children"]):
        pid = os.fork()
        if pid == 0:
            chunks = [b"\x01" * (16 << 20) for _ in range(request["megabytes"] // 16)]
            time.sleep(0.5)
            os._exit(len(chunks) > 0)
        children.append(pid)
    return {"statuses": [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children]}


def _busy_children(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """Busy children, each in a session of its own, and a busy parent."""
    for _ in range(request["children"]):
        try:
            child = os.fork()
        except OSError:  # the process-count limit: keep the children there are
            break
        if child == 0:
            os.setsid()
            while True:
                pass
    while True:
        pass


def _timed_work(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """A fixed amount of pure-Python work, timed on the clock and on the CPU."""
    wall, cpu = time.monotonic(), time.process_time()
    total = 0
    for number in range(3_000_000):
        total += number % 7
    return {"wall": time.monotonic() - wall, "cpu": time.process_time() - cpu}


def _top_level(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    import sys

    runtime_tops = {path.split("/")[1] for path in (sys.prefix, sys.base_prefix) if path != "/"}
    return {
        "entries": sorted(os.listdir("/")),
        "runtime_tops": sorted(runtime_tops),
        "etc": sorted(os.listdir("/etc")),
        "dev": sorted(os.listdir("/dev")),
    }


def _runtime(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    from autograder.sandbox.runtime import runtime_problem

    return {"problem": runtime_problem()}


def _fork_bomb(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    while True:
        with contextlib.suppress(OSError):
            os.fork()


def _escape(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """Leave a daemon behind in a new session, the way background jobs escape a shell."""
    ready_read, ready_write = os.pipe()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.write(ready_write, str(os.getpid()).encode())
            while True:
                time.sleep(1)
        os._exit(0)
    os.close(ready_write)
    return {"pid": int(os.read(ready_read, 32))}


def _connect(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    interfaces = [name for _, name in socket.if_nameindex()]
    try:
        socket.create_connection(("127.0.0.1", request["port"]), timeout=2).close()
    except OSError as error:
        return {"interfaces": interfaces, "error": repr(error)}
    return {"interfaces": interfaces, "connected": True}


def _scratch(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    if "write" in request:
        with open(os.path.join("/tmp", request["write"]), "w") as marker:
            marker.write("left behind")
    return {path: sorted(os.listdir(path)) for path in ("/tmp", "/var/tmp", "/dev/shm")}


def _look(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for path in request["paths"]:
        try:
            if not os.path.lexists(path):
                seen[path] = {"exists": False}
            elif os.path.isdir(path):
                seen[path] = {"mount": os.path.ismount(path), "entries": os.listdir(path)}
            else:
                with open(path, "rb") as content:
                    seen[path] = {"mount": os.path.ismount(path), "bytes": len(content.read())}
        except OSError as error:
            seen[path] = {"error": error.strerror}
    return seen


def _shout(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    chunk = "x" * (1 << 20)
    for _ in range(request["megabytes"]):
        sys.stdout.write(chunk)
    sys.stdout.flush()
    return {"done": True}


def _impostor(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """A child speaks first on the inherited channel, pretending to be the student."""
    channel = socket.socket(fileno=3)
    pid = os.fork()
    if pid == 0:
        send_message(channel, {"from": "impostor"})
        os._exit(0)
    os.waitpid(pid, 0)
    channel.detach()
    return {"from": "student"}


def _end(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """End as student code can, after saying `text` on stderr: exit with status `code` (by
    `os._exit` or `SystemExit`, as `how` says), or crash (`segfault`)."""
    print(request["text"], file=sys.stderr, flush=True)
    if request["how"] == "segfault":
        ctypes.string_at(0)
    if request["how"] == "SystemExit":
        raise SystemExit(request["code"])
    os._exit(request["code"])


def _read_stdin(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"line": input()}
    except EOFError:
        return {"eof": True}


def _environment(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    with open("/proc/self/environ", "rb") as initial:
        return {"environ": dict(os.environ), "initial": initial.read().decode(errors="replace")}


def _identity(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    return {"uid": os.getresuid(), "gid": os.getresgid(), "groups": os.getgroups()}


def _compute(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """Real work: a thread, gradient descent in torch, and one large tensor."""
    import torch

    worker = threading.Thread(target=lambda: None)
    worker.start()
    worker.join()
    x = torch.linspace(-1, 1, 100)
    y = 3 * x + 2
    params = torch.zeros(2, requires_grad=True)
    for _ in range(200):
        loss = ((params[0] * x + params[1] - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            params -= 0.1 * params.grad
            params.grad.zero_()
    big = torch.ones(64 << 20)  # 256 MiB: inside the memory limit, however torch maps it
    return {"params": params.tolist(), "big_sum": float(big.sum())}


def _ping(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    return {"pong": True}


def _prepared(request: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    return {"prepared_with": _prepared_with}


BEHAVIOURS = {
    "payload": _payload,
    "prepared": _prepared,
    "spin": _spin,
    "sleep": _sleep,
    "busy_then_asleep": _busy_then_asleep,
    "stubborn": _stubborn,
    "hog": _hog,
    "hog_in_children": _hog_in_children,
    "fork_bomb": _fork_bomb,
    "busy_children": _busy_children,
    "timed_work": _timed_work,
    "cpu_work": _cpu_work,
    "cpu_work_in_child": _cpu_work_in_child,
    "top_level": _top_level,
    "runtime": _runtime,
    "escape": _escape,
    "connect": _connect,
    "scratch": _scratch,
    "look": _look,
    "shout": _shout,
    "impostor": _impostor,
    "end": _end,
    "read_stdin": _read_stdin,
    "environment": _environment,
    "identity": _identity,
    "compute": _compute,
    "ping": _ping,
}
