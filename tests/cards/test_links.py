"""The detail pages link to printing their cards."""

from django.urls import reverse


def _print_link(kind: str, pk: int) -> str:
    return f"{reverse('cards:print')}?kind={kind}&amp;pk={pk}"


def test_it_links_printing_from_the_household_cadre_unit_and_region_pages(cards_world, login):
    w = cards_world
    client = login(w.city_admin)
    pages = {
        reverse("people:household_detail", args=[w.household.pk]): ("household", w.household.pk),
        reverse("org:cadre_detail", args=[w.cadre.pk]): ("cadre", w.cadre.pk),
        reverse("org:unit_detail", args=[w.unit.pk]): ("unit", w.unit.pk),
        reverse("geo:region_detail", args=[w.village.pk]): ("region", w.village.pk),
    }
    for url, (kind, pk) in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert _print_link(kind, pk) in response.content.decode(), url
