"""Gradescope's wait: `run_autograder` of the kit's bundle in a container with Gradescope's
default limits (half a CPU, 768 MB, Docker's default seccomp and capabilities, no network).

No image can be pulled here, so the container is an empty root with this machine's `/usr`,
`/etc` and Python installation bind-mounted read-only (the kit's virtualenv where the bundle's
`setup.sh` would install it), and the bundle unpacked as Gradescope unpacks it. A private
Docker daemon is started for the run and stopped after it. In the same container it also times
the floor, `python -c "import torch"`, and prints the ratio.

Needs root and Debian's `docker.io` (`apt-get install docker.io`).

Usage: python benchmarks/gradescope_container.py [--runs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.outputs.gradescope_bundle import VENV  # noqa: E402
from tests.corpus.answers import CORRECT  # noqa: E402
from tests.support.gradescope import unpack  # noqa: E402
from tests.support.notebooks import notebook_for  # noqa: E402

LIMITS = ["--network", "none", "--cpus", "0.5", "--memory", "768m"]
# The container's own memory cgroup: its peak, under cgroup v2 or v1.
PEAK = (
    "cat /sys/fs/cgroup/memory.peak 2>/dev/null"
    " || cat /sys/fs/cgroup/memory/memory.max_usage_in_bytes"
)


@contextlib.contextmanager
def docker_daemon(scratch: Path) -> Iterator[dict[str, str]]:
    """A private Docker daemon; the environment that talks to it."""
    socket = scratch / "docker.sock"
    log = (scratch / "dockerd.log").open("w")
    daemon = subprocess.Popen(
        [
            "dockerd",
            "--host",
            f"unix://{socket}",
            "--data-root",
            str(scratch / "data"),
            "--exec-root",
            str(scratch / "exec"),
            "--pidfile",
            str(scratch / "docker.pid"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    environment = {**os.environ, "DOCKER_HOST": f"unix://{socket}"}
    try:
        deadline = time.monotonic() + 60
        while subprocess.run(["docker", "info"], env=environment, capture_output=True).returncode:
            if daemon.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"dockerd did not start; see {scratch / 'dockerd.log'}")
            time.sleep(0.5)
        yield environment
    finally:
        daemon.terminate()
        daemon.wait(timeout=60)
        log.close()


def empty_image(scratch: Path, environment: dict[str, str]) -> str:
    """An image holding nothing but the mount points (and the usual links into /usr)."""
    root = scratch / "root"
    for folder in ("usr", "etc", "tmp", "proc", "sys", "dev", "autograder", "opt", "root"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for link in ("bin", "lib", "lib64", "sbin"):
        (root / link).symlink_to(f"usr/{link}")
    tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
    subprocess.run(
        ["docker", "import", "-", "kit-gradescope-base"],
        stdin=tar.stdout,
        env=environment,
        check=True,
        capture_output=True,
    )
    tar.wait()
    return "kit-gradescope-base"


def python_mounts() -> list[str]:
    """This machine's Python where the container finds it: the base installation at its own
    path, the kit's virtualenv where the bundle's setup.sh puts it."""
    mounts = ["-v", "/usr:/usr:ro", "-v", "/etc:/etc:ro", "-v", f"{sys.prefix}:{VENV}:ro"]
    base = Path(sys.base_prefix).resolve()
    if not base.is_relative_to("/usr"):
        mounts += ["-v", f"{base}:{base}:ro"]
    return mounts


def gradescope_root(scratch: Path, bundle: Path, number: int) -> Path:
    """A fresh /autograder: the bundle unpacked, one correct notebook submitted."""
    import nbformat

    root = unpack(bundle, scratch / f"autograder-{number}")
    nbformat.write(notebook_for(CORRECT[0]), root / "submission" / "submission.ipynb")
    return root


def in_container(
    image: str, environment: dict[str, str], root: Path, command: str
) -> tuple[float, int]:
    """(wall seconds of `docker run`, the container's peak memory in bytes) of `command`."""
    folders = []
    for name in ("source", "submission", "results"):
        folders += ["-v", f"{root / name}:/autograder/{name}"]
    started = time.perf_counter()
    done = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            *LIMITS,
            *python_mounts(),
            *folders,
            "-w",
            "/autograder/source",
            image,
            "/bin/bash",
            "-c",
            f"{command} >&2; {PEAK}",
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, int(done.stdout.split()[-1])


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--runs", type=int, default=3)
    runs = arguments.parse_args().runs
    if shutil.which("dockerd") is None:
        raise SystemExit("needs Debian's docker.io: apt-get install docker.io")
    with tempfile.TemporaryDirectory(prefix="gradescope-container-") as folder:
        scratch = Path(folder)
        bundle = scratch / "bundle.zip"
        subprocess.run(
            [sys.executable, "-m", "autograder", "gradescope", "--out", str(bundle)],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        with docker_daemon(scratch) as environment:
            image = empty_image(scratch, environment)
            floor = [
                in_container(
                    image,
                    environment,
                    gradescope_root(scratch, bundle, -1 - n),
                    f'{VENV}/bin/python -c "import torch"',
                )[0]
                for n in range(runs)
            ]
            graded = []
            for number in range(runs):
                root = gradescope_root(scratch, bundle, number)
                wall, peak = in_container(
                    image, environment, root, "/autograder/source/run_autograder"
                )
                results = json.loads((root / "results" / "results.json").read_text())
                graded.append((wall, peak, results["score"], results["execution_time"]))
    kit = statistics.median(wall for wall, *_ in graded)
    torch_floor = statistics.median(floor)
    print(f"machine: {os.cpu_count()} cores; container: {' '.join(LIMITS)}; {runs} runs each")
    print(f"floor  import torch in the container           {torch_floor:6.2f} s (median)")
    print(
        f"kit    run_autograder, one correct notebook    {kit:6.2f} s (median)  "
        f"{kit / torch_floor:.1f}x the floor"
    )
    for wall, peak, score, reported in graded:
        print(
            f"       run: {wall:5.2f} s wall, score {score}, execution_time {reported} s, "
            f"peak memory {peak / 2**20:.0f} MiB of 768"
        )


if __name__ == "__main__":
    main()
