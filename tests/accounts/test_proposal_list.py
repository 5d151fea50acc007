"""账号审批: the list's queries do not grow with its rows, and it shows only the county's own
proposals to its separated administrators (404 for everyone else)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.accounts.choices import ProposalStatus, Role
from lianxin.accounts.models import AccountProposal
from lianxin.accounts.services import do_create_user
from lianxin.geo.services import do_create_county
from tests.factories import PASSWORD, user

URL = reverse("accounts:proposal_list")


def _new_cadres(world, start: int, count: int) -> None:
    # Each account the system administrator makes waits for approval as a proposal.
    for i in range(start, start + count):
        do_create_user(
            county=world.county,
            username=f"cadre{i:03d}",
            password=PASSWORD + "Aa#",
            role=Role.CADRE,
            unit=world.unit,
            acting_user=world.system_admin,
        )


def test_it_does_not_grow_queries_with_rows(world, login, django_assert_max_num_queries):
    client = login(world.security_admin)
    _new_cadres(world, 0, 3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    _new_cadres(world, 3, 27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    # One cell per row (a row also names its account in the 驳回 question).
    assert response.content.decode().count("<td>cadre0") == 30


def test_it_answers_404_to_everyone_but_the_countys_separated_admins(world, login):
    _new_cadres(world, 0, 1)
    proposal = AccountProposal.objects.get(username="cadre000")
    decide = reverse("accounts:proposal_decide", args=[proposal.pk])
    for persona in (world.outsider, world.township_staff, world.city_admin, world.cadre_user):
        client = login(persona)
        assert client.get(URL).status_code == 404, persona
        assert client.post(decide, {"decision": "approve", "note": "核实"}).status_code == 404
    # The security administrator of another county sees neither the list row nor the proposal.
    other = do_create_county(code="510183", name="邛崃市")
    stranger = user(other, Role.SECURITY_ADMIN, "secadmin2")
    client = login(stranger)
    assert "cadre000" not in client.get(URL).content.decode()
    assert client.post(decide, {"decision": "approve", "note": "核实"}).status_code == 404
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PENDING
