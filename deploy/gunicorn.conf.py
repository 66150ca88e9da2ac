"""gunicorn settings of the production recipe (README "Running on PostgreSQL", docs/deployment.md):

    .venv/bin/gunicorn -c deploy/gunicorn.conf.py wsgi:app      # behind nginx (deploy/nginx-portal.conf)

Rule SRV1 (docs/rules/serving.md#srv1): gunicorn never faces the Internet. Its workers read a request
with blocking calls, so a client that sends its headers or body one byte at a time holds a worker (sync)
or a thread (gthread) for as long as it likes: 4 such clients left 2 sync workers without an answer for
60 s (issue 18), and 50 left 2 gthread workers of 8 threads each without one within 10 s. nginx in front
reads every request whole before it passes it on and takes the response as fast as gunicorn writes it,
holding thousands of slow connections in one process; gunicorn only ever talks to nginx.

Threads (gthread) still help behind nginx: a request waiting on the database does not stop the worker's
other requests, and idle keep-alive connections wait in the worker's poller instead of a thread.
tests/test_slow_clients.py runs this file and deploy/nginx-portal.conf under 50 slow clients.
"""
import os

# One process per core; each serves THREADS requests at once. Set WEB_CONCURRENCY for a larger host.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("PORTAL_THREADS", "8"))
# Only nginx on this host connects (the test gives its own --bind, which wins over this line).
bind = os.environ.get("PORTAL_BIND", "127.0.0.1:8000")
# A worker that does not report for this long is restarted. With gthread the worker's main loop reports
# while requests run in threads, so a long export is not cut by it; nginx's proxy_read_timeout bounds those.
timeout = 60
graceful_timeout = 30
# Kept-alive connections from nginx (upstream keepalive) wait this long for their next request.
keepalive = 5
# Requests larger than the portal accepts are refused by nginx first (client_max_body_size); these bound
# what reaches gunicorn in any case.
limit_request_line = 8190
limit_request_fields = 100
# nginx on the same host is the only proxy believed for X-Forwarded-* (the app counts hops: PROXY_COUNT=1).
forwarded_allow_ips = "127.0.0.1"
