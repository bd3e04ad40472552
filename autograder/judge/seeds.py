"""Seeds of the hidden inputs: a fresh one per grading run (kept with the run's records, so
that a regrade asks the same questions), drawn without loading the judge's maths."""

import secrets


def new_seed() -> int:
    return secrets.randbits(63)
