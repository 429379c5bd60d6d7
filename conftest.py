"""Repo-level pytest setup for smsmock's own tests."""

from hypothesis import HealthCheck, settings

# CI machines are small and shared: no per-example deadline, and a fixed seed
# so a red run can be replayed exactly.
settings.register_profile("ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None)
settings.load_profile("ci")

# `pytester` runs the pytest plugin's own tests in throwaway projects.
pytest_plugins = ["pytester"]
