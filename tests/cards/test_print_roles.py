"""Only roles that may print 连心卡 see the button (issue 8 point 11): printing issues QR
tokens, so the read-only leader neither sees it nor can open the print page."""

import pytest


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        # The leader reads the registry but may not print: refused, saying so.
        ("leader_user", 403),
        # The separated administrators read no registry at all: for them the page is not there.
        ("system_admin", 404),
        ("security_admin", 404),
        ("audit_admin", 404),
    ],
)
def test_it_refuses_the_print_page_to_a_role_that_may_not_print(world, login, persona, status):
    client = login(getattr(world, persona))
    response = client.get("/cards/print/")
    assert response.status_code == status
    assert "打印连心卡" not in response.content.decode().split("<main")[1].split("</h1>")[0]


def test_it_hides_the_print_button_from_the_leader(world, login):
    page = login(world.leader_user).get(f"/people/households/{world.household.pk}/")
    assert page.status_code == 200
    assert "/cards/print/" not in page.content.decode()


def test_it_shows_the_print_button_to_village_staff(world, login):
    page = login(world.village_staff).get(f"/people/households/{world.household.pk}/")
    assert "/cards/print/?kind=household" in page.content.decode()
