"""Benchmarks of Rewardgate under gunicorn (``python3 bench/run.py``); see docs/performance.md."""
