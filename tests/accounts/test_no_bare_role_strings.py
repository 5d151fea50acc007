"""Roles are asked through the User predicates or the Role enum, never compared as strings: a
scan of every module and template outside accounts/choices.py (migrations are frozen history)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from lianxin.accounts.choices import Role

BASE = Path(__file__).resolve().parents[2]
CHOICES = BASE / "lianxin" / "accounts" / "choices.py"
ROLE_VALUES = frozenset(Role.values)
# Values that are also ordinary words here ("cadre" is a print selection's kind, "leader" a
# liaison's field): flagged only where the other side of the comparison speaks of a role.
COMMON_WORDS = frozenset({Role.CADRE.value, Role.HANDLER.value, Role.LEADER.value})


def _role_literals(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and node.value in ROLE_VALUES:
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [v for elt in node.elts for v in _role_literals(elt)]
    return []


def _bare(literals: list[str], context: str) -> bool:
    return any(v not in COMMON_WORDS or "role" in context for v in literals)


def python_violations(source: str, name: str = "<source>") -> list[str]:
    """Comparisons (==, !=, in, not in) and role=/role__in= lookups with a role's string."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            literals = [v for op in operands for v in _role_literals(op)]
            if literals and _bare(literals, ast.unparse(node)):
                found.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
        elif (
            isinstance(node, ast.keyword)
            and (node.arg or "").split("__")[0] == "role"
            and _role_literals(node.value)
        ):
            found.append(f"{name}:{node.value.lineno}: {node.arg}={ast.unparse(node.value)}")
    return found


TAG = re.compile(r"{%-?\s*(?:if|elif|with)\b(.*?)-?%}", re.S)
LITERAL = re.compile(r"""["']([a-z_]+)["']""")


def template_violations(text: str, name: str = "<template>") -> list[str]:
    """Template conditions holding a role's string, e.g. {% if user.role == "city_admin" %}."""
    found = []
    for tag in TAG.finditer(text):
        literals = [v for v in LITERAL.findall(tag.group(1)) if v in ROLE_VALUES]
        if literals and _bare(literals, tag.group(1)):
            line = text.count("\n", 0, tag.start()) + 1
            found.append(f"{name}:{line}: {tag.group(0)}")
    return found


def test_it_finds_bare_role_strings_where_they_are():
    # The scanner itself: each of these is the kind of line the program once had.
    assert python_violations('if user.role == "city_admin": pass')
    assert python_violations('ok = user.role not in ("city_admin", "leader")')
    assert python_violations('ok = getattr(request.user, "role", None) != "city_admin"')
    assert python_violations('qs = User.objects.filter(role="cadre")')
    assert template_violations('{% if user.role == "city_admin" or user.role == "leader" %}')
    # ... and these are not roles.
    assert not python_violations('if kind == "cadre": pass')
    assert not python_violations("if user.role == Role.CITY_ADMIN: pass")
    assert not python_violations('x = {"leader": 1}')
    assert not template_violations(
        '{% if run.status == "superseded" %}{% if user.manages_pairing %}'
    )


def test_it_compares_no_role_as_a_string_in_the_code():
    found = []
    for path in sorted((BASE / "lianxin").rglob("*.py")):
        if path == CHOICES or "migrations" in path.parts:
            continue
        found += python_violations(path.read_text(encoding="utf-8"), str(path.relative_to(BASE)))
    assert not found, "ask a User predicate (or the Role enum) instead:\n" + "\n".join(found)


def test_it_compares_no_role_as_a_string_in_the_templates():
    found = []
    for path in sorted((BASE / "templates").rglob("*")):
        if path.suffix in (".html", ".txt"):
            text = path.read_text(encoding="utf-8")
            found += template_violations(text, str(path.relative_to(BASE)))
    assert not found, "ask a User predicate instead, e.g. user.manages_pairing:\n" + "\n".join(
        found
    )
