"""One rule for counts and rates (lianxin.lib.numbers), the same on every page and export."""

import pytest
from django.template import Context, Template

from lianxin.lib.numbers import count_text, percent_text, percent_value


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0"), (999, "999"), (4621, "4,621"), (231034, "231,034"), (None, "—")],
)
def test_it_writes_counts_with_a_thousands_separator(n, text):
    assert count_text(n) == text


@pytest.mark.parametrize(
    ("part", "whole", "text"),
    [
        # The figure: 93.789…%, shown as 93.8% on one page and 93.7% on another.
        (4334, 4621, "93.7%"),
        (1, 3, "33.3%"),
        (2, 3, "66.6%"),
        # One gap in 231,034 is 99.9995…%: never 100%.
        (231033, 231034, "99.9%"),
        (231034, 231034, "100.0%"),
        (0, 5, "0.0%"),
        (0, 0, "—"),
    ],
)
def test_it_rounds_rates_down_to_one_decimal(part, whole, text):
    assert percent_text(part, whole) == text


def test_it_gives_spreadsheets_the_same_figure_as_a_number():
    assert percent_value(4334, 4621) == 93.7
    assert percent_value(0, 0) is None


def test_it_uses_the_same_rule_in_templates():
    html = Template(
        "{% load lianxin_numbers %}{{ n|count }} {% percent a b %} {{ none|count }} {{ dash|count }}"
    ).render(Context({"n": 4621, "a": 4334, "b": 4621, "none": None, "dash": "—"}))
    assert html == "4,621 93.7% — —"


def test_it_writes_every_figure_of_every_template_with_the_one_rule():
    """A figure cell (class "num") prints its value through |count or {% percent %}: a bare
    {{ n }} would show 4621 beside another page's 4,621."""
    import re
    from pathlib import Path

    cell = re.compile(r'<(td|th|div)[^>]*class="num[^"]*"[^>]*>(.*?)</\1>', re.S)
    bare = re.compile(r"\{\{\s*([^}|]+?)\s*\}\}")
    # Already text made by lib.numbers (rates, ages), a spreadsheet row number, or an id or a
    # level in a link (an id with a separator would break the link).
    # A rate's `.text` (lianxin.visits.rates.Figure) is lib.numbers.percent_text already.
    text = re.compile(r"(percent|url|age|row|pk|level|_rate\.text)$")
    found = []
    for path in Path("templates").rglob("*.html"):
        for _, inner in cell.findall(path.read_text()):
            for name in bare.findall(inner):
                if not text.search(name.strip()):
                    found.append(f"{path}: {{{{ {name} }}}}")
    assert found == []


def test_it_never_writes_a_separator_into_a_link():
    """An id written as 2,731 in a query string opens the unfiltered list (?group=2,731)."""
    import re
    from pathlib import Path

    href = re.compile(r'href="[^"]*\|count[^"]*"')
    found = [str(p) for p in Path("templates").rglob("*.html") if href.search(p.read_text())]
    assert found == []
