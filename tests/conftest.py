"""Settings for the whole suite."""

from hypothesis import settings

# Speed is measured by the benchmarks, never by a test: no property test fails for being slow
# on a loaded machine (the suite runs its files two at a time).
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")
