"""coffeechat benchmarks against real servers on loopback: ``python bench/run.py --help``."""
