"""Rebuild `examples/submissions/`, the small class the README's first command grades.

Each student's notebook is the release filled in with one answer from the test corpus; one
student handed the release in untouched and one uploaded a truncated file.
Usage: python examples/make_submissions.py
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.corpus.answers import CORRECT, WRONG  # noqa: E402
from tests.support.notebooks import RELEASE, notebook_for, write_submission  # noqa: E402

CLASS = {
    "alice": "reference",
    "bruno": "loss_sum",
    "chen": "no_zero_grad",
    "dara": "wrong_sign",
    "emeka": "float64_default_with_prints_and_plots",
    "farah": "ten_steps_per_call",
    "goran": "loss_item",
}
UNTOUCHED = "hana"
TRUNCATED = "ivan"


def main() -> None:
    folder = ROOT / "examples" / "submissions"
    shutil.rmtree(folder, ignore_errors=True)
    answers = {answer.name: answer for answer in CORRECT + WRONG}
    for student, name in CLASS.items():
        answer = answers[name]
        write_submission(folder / f"{student}.ipynb", notebook_for(answer))
    shutil.copy(RELEASE, folder / f"{UNTOUCHED}.ipynb")
    (folder / f"{TRUNCATED}.ipynb").write_text('{"cells": [{"cell_type": "code", "source": "def')


if __name__ == "__main__":
    main()
