"""`lianxin serve`: the web server and the job worker together, for `make run` and a one-box
trial. One Ctrl-C (or SIGTERM) stops both; if either exits, the other is stopped too.
Production runs them as two services instead (docs/deployment.md)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "同时运行网页服务和后台任务进程（Ctrl-C 同时停止两者）"

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, **opts):
        from django.core.exceptions import ImproperlyConfigured
        from django.core.management.base import CommandError

        from lianxin.core.keys import refuse_wrong_keys

        try:
            refuse_wrong_keys()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        manage = [sys.executable, "-m", "django"]
        children = [
            subprocess.Popen([*manage, "worker"]),
            subprocess.Popen([*manage, "runserver", opts["addrport"], "--noreload"]),
        ]
        stopping = False

        def stop(signum=None, frame=None):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(c.poll() is None for c in children):
                time.sleep(0.2)
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)
            deadline = time.monotonic() + 10
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
        codes = [c.returncode for c in children]
        if not stopping and any(codes):
            raise SystemExit(next(code for code in codes if code))
