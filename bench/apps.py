from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Installed only with CASEWORK_BENCH=1 (make bench): the baselines the benchmarks compare to."""

    name = "bench"
    label = "bench"
