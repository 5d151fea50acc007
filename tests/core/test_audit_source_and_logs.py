"""Audit rows say where a change came from; logs never carry an ID number or phone."""

import logging

from lianxin.audit.models import AuditEntry
from lianxin.core.logging import ScrubSensitiveFilter
from tests.factories import PASSWORD


def test_it_records_the_client_address_of_a_log_in(world, client):
    response = client.post(
        "/accounts/login/", {"username": "wenjing", "password": PASSWORD}, REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(action="登录", actor=world.township_staff).get()
    assert entry.source == "10.1.2.3"


def test_it_records_cli_as_the_source_outside_a_request(world):
    entry = AuditEntry.objects.filter(action="新建户").first()
    assert entry.source.startswith("cli@")


def test_it_masks_id_numbers_and_phones_in_log_lines():
    record = logging.LogRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "looked up %s with phone %s",
        ("51018419700517001X", "13912345678"),
        None,
    )
    ScrubSensitiveFilter().filter(record)
    message = record.getMessage()
    assert "51018419700517001X" not in message and "13912345678" not in message
    assert "510184********001X" in message and "139****5678" in message


def test_it_audits_a_failed_log_in_against_an_existing_account(world, client):
    client.post(
        "/accounts/login/", {"username": "wenjing", "password": "wrong"}, REMOTE_ADDR="10.9.9.9"
    )
    entry = AuditEntry.objects.get(action="登录失败")
    assert entry.target_id == str(world.township_staff.pk) and entry.source == "10.9.9.9"
