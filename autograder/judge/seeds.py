"""Seeds of the hidden inputs, drawn without loading the judge's maths.

A run draws one secret seed (kept with its records); each submission's own seed mixes it with
the notebook's content, so a notebook that changes is asked new questions, and the same notebook
regrades with the same ones.
"""

import hashlib
import secrets


def new_seed() -> int:
    return secrets.randbits(63)


def submission_seed(run_seed: int, notebook_hash: str) -> int:
    """The seed of one submission's hidden inputs in the run with `run_seed`."""
    digest = hashlib.sha256(f"{run_seed}:{notebook_hash}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1
