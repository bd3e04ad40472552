"""The zip a Gradescope programming assignment takes as its autograder.

It holds Gradescope's two scripts, `setup.sh` (run once, as root, when Gradescope builds the
image) and `run_autograder` (run for each submission), and what they install and run: this
kit's package, its `pyproject.toml` and README (what pip builds it from), the release notebook
whose read-only cells run at grading, the lesson read from it when the bundle is built (a
lesson that cannot be graded is refused then, not on Gradescope), and the bundle's settings
(the time limit, and the hidden inputs' seed when one was chosen). Never the tests, records
or anything a student handed in. Members get a fixed date, so the same kit and settings always
give the same zip.
"""

from __future__ import annotations

import io
import json
import re
import tomllib
import zipfile
from pathlib import Path

from autograder.atomic import write_atomically
from autograder.exercise import ASSIGNMENT
from autograder.lesson import Lesson
from autograder.outputs.gradescope_run import LESSON_FILE, SETTINGS_FILE, BundleSettings
from autograder.usage import UsageError

PACKAGE_DIR = Path(__file__).resolve().parent.parent
KIT_ROOT = PACKAGE_DIR.parent
KIT_FILES = ("pyproject.toml", "README.md")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
# where `release_notebook` finds the release, in the bundle as in a course
RELEASE_IN_BUNDLE = Path("release") / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
VENV = "/opt/gradient-descent"  # where setup.sh installs Python 3.11, torch and the kit

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image: Python 3.11, the
# CPU build of torch, and this kit from the files beside this script.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends software-properties-common
add-apt-repository -y ppa:deadsnakes/ppa
apt-get update
apt-get install -y --no-install-recommends python3.11 python3.11-venv
python3.11 -m venv {venv}
{venv}/bin/pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu \\
    {torch}
{venv}/bin/pip install --no-cache-dir "$here"
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for each submission: it grades submission/ and writes
# results/results.json under $GRADESCOPE_ROOT (default /autograder).
export PATH="{venv}/bin:$PATH"
exec python -m autograder.outputs.gradescope_run
"""

SCRIPTS = ("setup.sh", "run_autograder")  # executable in the zip


def torch_requirement() -> str:
    """The kit's own torch pin, as its pyproject.toml states it."""
    project = tomllib.loads((KIT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for requirement in project["project"]["dependencies"]:
        if re.fullmatch(r"torch\s*==\s*[\w.]+", requirement):
            return requirement.replace(" ", "")
    raise UsageError("pyproject.toml pins no exact torch version for the bundle to install")


def bundle_files(settings: BundleSettings, release: Path, lesson: Lesson) -> dict[str, bytes | str]:
    """Every member of the zip, by its name in the zip, with its content: the kit, and the
    release with the lesson read from it."""
    for name in KIT_FILES:
        if not (KIT_ROOT / name).is_file():
            raise UsageError(f"no {name} beside the kit's package: build from the kit's checkout")
    files: dict[str, bytes | str] = {
        "setup.sh": SETUP_SH.format(venv=VENV, torch=torch_requirement()),
        "run_autograder": RUN_AUTOGRADER.format(venv=VENV),
        SETTINGS_FILE: json.dumps(settings.to_json(), indent=1) + "\n",
        LESSON_FILE: json.dumps(lesson.to_json()) + "\n",
        RELEASE_IN_BUNDLE.as_posix(): release.read_bytes(),
    }
    for name in KIT_FILES:
        files[name] = (KIT_ROOT / name).read_bytes()
    for path in sorted(PACKAGE_DIR.rglob("*")):
        inside = path.relative_to(KIT_ROOT)
        hidden = any(part.startswith(".") or part == "__pycache__" for part in inside.parts)
        if path.is_file() and not hidden and path.suffix != ".pyc":
            files[inside.as_posix()] = path.read_bytes()
    return files


def bundle_zip(settings: BundleSettings, release: Path, lesson: Lesson) -> bytes:
    """The zip, with the two scripts executable."""
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, content in bundle_files(settings, release, lesson).items():
            member = zipfile.ZipInfo(name, ZIP_DATE)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = (0o100755 if name in SCRIPTS else 0o100644) << 16
            bundle.writestr(member, content)
    return stream.getvalue()


def write_bundle(out: Path, settings: BundleSettings, release: Path) -> Path:
    """The bundle for `release`, its lesson read (or refused) first."""
    if out.is_dir():
        raise UsageError(f"{out} is a folder: --out names the zip to write")
    from autograder.judge.one_notebook import lesson_of_release
    from autograder.sandbox import Limits

    lesson = lesson_of_release(release, Limits.for_wall_clock(settings.timeout))
    write_atomically(out, bundle_zip(settings, release, lesson))
    return out
