"""Gunicorn settings for Lianxin: `gunicorn -c python:lianxin.gunicorn_conf lianxin.wsgi`.

Gunicorn's access log writes every request line, query string and Referer included, and its
error log quotes request paths in tracebacks: both go through the same scrub filter as the
application's own logs, so a typed ID number or phone never reaches a log file in clear.
Anything set here can still be overridden on the command line (-b, -w, --access-logfile …).
"""

from __future__ import annotations

import os

from gunicorn.glogging import Logger

from lianxin.core.logging import scrub_handlers


class ScrubbingLogger(Logger):
    """Gunicorn's logger with the scrub filter on every handler it sets up (access, error,
    syslog), after each (re)configuration."""

    def setup(self, cfg):
        super().setup(cfg)
        scrub_handlers(self.error_log, self.access_log)


logger_class = ScrubbingLogger

bind = os.environ.get("LIANXIN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("LIANXIN_WORKERS", "3"))
threads = int(os.environ.get("LIANXIN_THREADS", "4"))
# Access log to stdout by default (journald keeps it); scrubbed like every other handler.
accesslog = os.environ.get("LIANXIN_ACCESS_LOG", "-")
errorlog = os.environ.get("LIANXIN_ERROR_LOG", "-")
# Files gunicorn itself creates (worker heartbeat files, a unix socket) are the owner's alone;
# the application sets the same umask for its own files (lianxin.core.apps).
umask = 0o077
# Behind nginx on the same machine: trust its X-Forwarded-* headers only from loopback.
forwarded_allow_ips = os.environ.get("LIANXIN_FORWARDED_ALLOW_IPS", "127.0.0.1")
