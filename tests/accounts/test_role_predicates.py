"""The role predicates on the user are what docs/security.md says they are: the table "Who may
do what" lists every predicate and the roles it answers yes for, and is held to the code."""

from __future__ import annotations

import re
from pathlib import Path

from lianxin.accounts.choices import Role
from lianxin.accounts.models import User

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
ROW = re.compile(r"^\| `(\w+)` \| [^|]+ \| ([^|]+) \|$", re.M)
BY_LABEL = {role.label: role for role in Role}
# Properties that say what shape an account's scope has, or how it stands, not what it may do.
NOT_PREDICATES = {"role_enum", "is_county_wide", "is_region_scoped", "is_unit_scoped"}
NOT_PREDICATES |= {"password_expired"}


def documented() -> dict[str, set[Role]]:
    section = DOC.read_text(encoding="utf-8").split("## Who may do what", 1)[1].split("\n## ")[0]
    table = {}
    for name, roles in ROW.findall(section):
        table[name] = {BY_LABEL[label.strip()] for label in roles.split("、")}
    return table


def predicates() -> set[str]:
    own = vars(User)
    return {name for name, v in own.items() if isinstance(v, property)} - NOT_PREDICATES


def test_it_documents_every_predicate():
    assert set(documented()) == predicates()


def test_it_answers_each_predicate_as_the_table_says():
    for name, roles in documented().items():
        # can_reveal set: the grant is the security administrator's, the role must allow it.
        allowed = {role for role in Role if getattr(User(role=role, can_reveal=True), name)}
        assert allowed == roles, name


def test_it_keeps_the_grant_apart_from_the_role():
    assert not User(role=Role.CITY_ADMIN, can_reveal=False).reveals_sensitive
    assert not User(role=Role.SYSTEM_ADMIN, can_reveal=True).reveals_sensitive
