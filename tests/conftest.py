"""Settings for every tier.

Hypothesis' per-example deadline (200 ms) measures the machine, not the code: on a busy two-core machine
(CI runs the tiers side by side, and a session's helpers run beside it) a first example can take longer
for reasons that have nothing to do with the property, and Hypothesis then reports a flaky failure.
Properties here are about results; speed is for `make bench`."""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "haochaping", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("haochaping")
