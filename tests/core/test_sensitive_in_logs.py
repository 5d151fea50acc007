"""An ID number or phone searched for never reaches a log (root, django.server, django.request,
gunicorn's access and error logs) nor a URL: searches by such values are POSTed."""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from django.test import Client
from django.urls import reverse

from lianxin.core.logging import ScrubSensitiveFilter
from lianxin.people.choices import Relation
from lianxin.people.services import do_create_resident
from tests import factories

URL = reverse("people:search")
PHONE = "13987654321"
NUMBER = factories.id_number(dt.date(1979, 11, 30))
GROUPED = f"{NUMBER[:6]} {NUMBER[6:14]} {NUMBER[14:]}"
# Typed or pasted with characters that do not show, or with an input method's dashes: the
# search still finds the person (idcard/phone normalise them away), so every guard must too.
HIDDEN = f"{NUMBER[:8]}\u200b{NUMBER[8:]}"
DASHED = f"{PHONE[:3]}–{PHONE[3:7]}–{PHONE[7:]}"


def _our_handlers() -> list[logging.Handler]:
    """Every handler in the logging tree but pytest's own capturing ones and the NullHandlers
    libraries attach to their loggers (requests, urllib3), which write nowhere."""
    loggers = [logging.getLogger()] + [
        obj for obj in logging.Logger.manager.loggerDict.values() if isinstance(obj, logging.Logger)
    ]
    found: list[logging.Handler] = []
    for logger in loggers:
        for handler in logger.handlers:
            if (
                type(handler).__module__.startswith("_pytest")
                or type(handler) is logging.NullHandler
            ):
                continue
            if handler not in found:
                found.append(handler)
    return found


@pytest.fixture
def log_output():
    """Points every configured stream handler at one buffer; returns a reader of all of it."""
    buffer = io.StringIO()
    swapped = []
    for handler in _our_handlers():
        if isinstance(handler, logging.StreamHandler) and not isinstance(
            handler, logging.FileHandler
        ):
            swapped.append((handler, handler.setStream(buffer)))
    assert swapped, "no log handler configured"
    yield buffer.getvalue
    for handler, stream in swapped:
        handler.setStream(stream)


@pytest.fixture
def known(world):
    return do_create_resident(
        household=world.household2,
        name="张小凡",
        id_number=NUMBER,
        relation=Relation.CHILD,
        phone=PHONE,
        acting_user=None,
    )


def _assert_clean(text: str) -> None:
    compact = text.replace(" ", "").replace("+", "").replace("%20", "")
    compact = compact.replace("\u200b", "").replace("%E2%80%8B", "").replace("–", "")
    compact = compact.replace("%E2%80%93", "")
    assert NUMBER not in compact
    assert PHONE not in compact


def test_it_puts_the_scrub_filter_on_every_handler():
    logging.getLogger("django.request")  # make sure the loggers exist
    handlers = _our_handlers()
    names = {h.name for h in handlers}
    assert {"console", "django.server"} <= names
    for handler in handlers:
        assert any(isinstance(f, ScrubSensitiveFilter) for f in handler.filters), handler


def test_it_searches_by_id_number_and_phone_without_either_in_a_url_or_log(
    world, login, known, log_output
):
    client = login(world.township_staff)
    for value in (NUMBER, PHONE, GROUPED, HIDDEN, DASHED):
        response = client.post(URL, {"q": value})
        assert response.status_code == 302
        location = response["Location"]
        _assert_clean(location)
        assert "?t=" in location
        # The result page survives back/refresh: the token is a plain GET.
        for _ in range(2):
            page = client.get(location)
            assert page.status_code == 200
            assert [r.name for r in page.context["results"].residents] == ["张小凡"]
            _assert_clean(page.content.decode())
        api = client.post("/api/search", {"q": value}, content_type="application/json")
        assert api.status_code == 200
        assert [r["name"] for r in api.json()["residents"]] == ["张小凡"]

    # A GET carrying the value is refused, in Chinese, pointing at POST; the log does not keep it.
    api = client.get("/api/search", {"q": NUMBER})
    assert api.status_code == 400
    assert "POST /api/search" in api.json()["detail"]
    page = client.get(URL, {"q": PHONE})
    assert page.status_code == 400
    assert "网址中不能含完整身份证号或手机号" in page.content.decode()
    assert client.get("/people/residents/", {"name": GROUPED}).status_code == 400
    for value in (HIDDEN, DASHED):
        assert client.get(URL, {"q": value}).status_code == 400
        assert client.get("/api/search", {"q": value}).status_code == 400
    # Names still search by GET.
    assert client.get("/api/search", {"q": "张小凡"}).status_code == 200

    logging.getLogger("lianxin.test").warning("looked up %s / %s", NUMBER, PHONE)
    logging.getLogger("lianxin.test").warning("typed %s and %s", HIDDEN, DASHED)
    try:
        raise ValueError(f"no match for {NUMBER}")
    except ValueError:
        logging.getLogger("django.request").exception(
            "Internal error for phone %(p)s", {"p": PHONE}
        )
    output = log_output()
    assert "Bad Request: /api/search" in output  # django.request did write
    assert "looked up" in output and "no match for 510184" in output
    _assert_clean(output)


def test_it_keeps_no_searched_value_in_the_session_table(world, login, known):
    client = login(world.township_staff)
    location = client.post(URL, {"q": PHONE})["Location"]
    session = Session.objects.get(session_key=client.session.session_key)
    _assert_clean(str(session.get_decoded()))
    # Another session (another browser, another person) cannot use the token.
    stranger = Client()
    stranger.force_login(world.city_admin)
    page = stranger.get(location)
    assert page.status_code == 200
    assert "这次查找已过期" in page.content.decode()
    assert page.context["results"].empty


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, **headers: str) -> int:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _sensitive_requests(base: str) -> list[int]:
    return [
        _get(f"{base}/api/search?{urlencode({'q': NUMBER})}"),
        _get(
            f"{base}/people/search/?q={quote(GROUPED)}",
            Referer=f"{base}/people/search/?q={PHONE}",
        ),
        _get(f"{base}/api/search?q={PHONE}"),
    ]


def test_it_keeps_the_values_out_of_runservers_request_log(log_output):
    """django.server: the request log of `manage.py runserver`, whose handler is Django's own."""
    server = WSGIServer(("127.0.0.1", _free_port()), WSGIRequestHandler, ipv6=False)
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        statuses = _sensitive_requests(f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
    assert statuses == [400, 400, 400]
    output = log_output()
    assert '"GET /api/search?q=510184' in output  # the request line was logged, masked
    _assert_clean(output)


def test_it_keeps_the_values_out_of_gunicorns_logs(tmp_path: Path):
    port = _free_port()
    access, error = tmp_path / "access.log", tmp_path / "error.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "lianxin.settings"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:lianxin.gunicorn_conf",
            "lianxin.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
            "--threads",
            "1",
            "--access-logfile",
            str(access),
            "--error-logfile",
            str(error),
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        statuses = _sensitive_requests(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert statuses == [400, 400, 400]
    logs = access.read_text(encoding="utf-8")
    assert logs.count("GET /") == 3 and "510184********" in logs  # every request was logged
    for text in (logs, error.read_text(encoding="utf-8"), out.decode(), err.decode()):
        _assert_clean(text)
