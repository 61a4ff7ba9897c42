import os

from hypothesis import HealthCheck, settings

# Derandomized everywhere: the same examples on every run, so CI never flakes.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
# HYPOTHESIS_PROFILE=explore searches new examples each run (for local bug hunting).
settings.register_profile("explore", deadline=None, max_examples=5000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
