"""Gradescope's results.json format, as its autograder specification documents it, as a JSON
Schema; and a bundle unpacked the way Gradescope lays it out."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import jsonschema

FORMATS = ["text", "html", "simple_format", "md", "ansi"]
VISIBILITIES = ["hidden", "after_due_date", "after_published", "visible"]
NUMBER = {"type": "number"}

TEST = {
    "type": "object",
    "required": [
        "name", "number", "score", "max_score", "status", "output", "output_format", "tags",
        "visibility",
    ],
    "properties": {
        "name": {"type": "string"},
        "name_format": {"enum": FORMATS},
        "number": {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)*$"},
        "score": NUMBER,
        "max_score": {"type": "number", "minimum": 0},
        "status": {"enum": ["passed", "failed"]},
        "output": {"type": "string"},
        "output_format": {"enum": FORMATS},
        "tags": {"type": "array", "items": {"type": "string"}},
        "visibility": {"enum": VISIBILITIES},
        "extra_data": {"type": "object"},
    },
    "additionalProperties": False,
}  # fmt: skip

RESULTS = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["score", "execution_time", "output", "output_format", "tests"],
    "properties": {
        "score": {"type": "number", "minimum": 0},
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string"},
        "output_format": {"enum": FORMATS},
        "test_output_format": {"enum": FORMATS},
        "test_name_format": {"enum": FORMATS},
        "visibility": {"enum": VISIBILITIES},
        "stdout_visibility": {"enum": VISIBILITIES},
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": TEST},
        "leaderboard": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "value"],
                "properties": {"name": {"type": "string"}, "order": {"enum": ["asc", "desc"]}},
            },
        },
    },
    "additionalProperties": False,
}


def valid_results(text: str) -> dict[str, Any]:
    """results.json's content, parsed as strict JSON (no NaN) and checked against the schema."""

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    document = json.loads(text, parse_constant=refuse)
    jsonschema.Draft202012Validator(RESULTS).validate(document)
    return document


def unpack(bundle: Path, root: Path) -> Path:
    """The bundle unzipped into `root/source/`, file modes kept as unzip keeps them, with the
    empty `submission/` and `results/` Gradescope makes beside it; returns `root`."""
    with zipfile.ZipFile(bundle) as archive:
        for member in archive.infolist():
            target = Path(archive.extract(member, root / "source"))
            mode = member.external_attr >> 16 & 0o777
            if mode:
                target.chmod(mode)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    return root
