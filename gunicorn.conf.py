"""gunicorn settings for Rewardgate (``gunicorn -c gunicorn.conf.py app:app``)."""
import multiprocessing
import os

bind = os.environ.get("REWARDGATE_BIND", "127.0.0.1:8000")
# sync workers: SQLite allows one writer at a time, so a few workers per core serve it best; raise the
# count for PostgreSQL.
workers = int(os.environ.get("REWARDGATE_WORKERS", multiprocessing.cpu_count() * 2))
worker_class = "sync"
timeout = 30
# Long JSONP GET URLs from widgets exceed the 4094-byte default request line.
limit_request_line = 8190
# Legacy clients send the key in an "api_access_key" header; gunicorn drops headers with underscores
# unless told otherwise. Rewardgate reads api_access_key and Api-Access-Key as one header anyway.
header_map = "dangerous"
accesslog = os.environ.get("REWARDGATE_ACCESS_LOG")  # off by default: query strings may hold keys

