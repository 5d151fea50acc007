"""Every do_* service checks its actor: called by someone its role or scope does not allow, it
is refused (403, or 404 outside the scope) in Chinese and writes no audit row.

The services are discovered from the source (every module-level ``def do_*`` under lianxin/),
so a new service fails test_it_has_a_refusal_case_for_every_service until it gets a case here —
and the case fails until the service checks its actor."""

from __future__ import annotations

import ast
import datetime as dt
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lianxin.accounts import services as accounts
from lianxin.accounts.choices import Role
from lianxin.audit import chain
from lianxin.audit import services as audit
from lianxin.audit.models import AuditEntry
from lianxin.cards import services as cards
from lianxin.cards.selection import resolve
from lianxin.core.errors import Refused
from lianxin.core.models import today
from lianxin.geo import services as geo
from lianxin.geo.choices import Level
from lianxin.org import services as org
from lianxin.org.choices import UnitKind
from lianxin.pairing import coverage_export
from lianxin.pairing import services as pairing
from lianxin.pairing.choices import Coverage
from lianxin.people import services as people
from lianxin.people.choices import HardshipKind, Relation, Trade
from lianxin.transfer import retention
from lianxin.transfer import services as transfer_services
from lianxin.transfer.choices import DataKind, FileFormat, ImportMode, JobKind
from lianxin.transfer.models import Job
from tests.factories import PASSWORD, credit_code, id_number

ROOT = Path(__file__).resolve().parents[2] / "lianxin"
TOMORROW = dt.timedelta(days=1)
NEW_PASSWORD = "Lishu-Gamma-33x"

# Who must be refused, unless a case says otherwise: a township staffer of another township
# (a registry writer, out of scope for the world's households) and the read-only leader.
DEFAULT_PERSONAS = ("outsider", "leader_user")

# Services with no actor to check, each with the reason. Keep this list short.
EXEMPT: set[str] = set()

Call = Callable[[Any], Any]
# A case: setup(world) -> call(actor); the personas who must be refused; and one who may do it
# (None: the server itself, acting_user None), which must then get past the actor check.
CASES: dict[str, tuple[Callable[[Any], Call], tuple[str, ...], str | None]] = {}


def case(name: str, *personas: str, allowed: str | None = None):
    def register(setup: Callable[[Any], Call]) -> Callable[[Any], Call]:
        assert name not in CASES, name
        CASES[name] = (setup, personas or DEFAULT_PERSONAS, allowed)
        return setup

    return register


def discovered() -> set[str]:
    """Every module-level function named do_* in the lianxin package, as "app.module.name"."""
    found = set()
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "do_"
            ):
                found.add(f"{module}.{node.name}")
    return found


# --- accounts ---------------------------------------------------------------------------------


def _access_proposal(w):
    return accounts.do_propose_access_change(
        w.cadre_user, role=Role.VILLAGE_STAFF, region=w.village, acting_user=w.system_admin
    )


@case("accounts.services.do_create_user", allowed="system_admin")
def _(w):
    return lambda a: accounts.do_create_user(
        county=w.county,
        username="newcadre",
        password=PASSWORD,
        role=Role.CADRE,
        unit=w.unit,
        acting_user=a,
    )


@case("accounts.services.do_propose_access_change", allowed="system_admin")
def _(w):
    return lambda a: accounts.do_propose_access_change(
        w.cadre_user, role=Role.VILLAGE_STAFF, region=w.village, acting_user=a
    )


@case("accounts.services.do_propose_admin", allowed="system_admin")
def _(w):
    return lambda a: accounts.do_propose_admin(
        county=w.county,
        username="secadmin2",
        full_name="第二安全管理员",
        role=Role.SECURITY_ADMIN,
        acting_user=a,
        reason="增设安全管理员",
    )


@case("accounts.services.do_approve_proposal", allowed="security_admin")
def _(w):
    proposal = _access_proposal(w)
    return lambda a: accounts.do_approve_proposal(proposal, acting_user=a, note="已与本人核实")


@case("accounts.services.do_approve_access_proposals", allowed="security_admin")
def _(w):
    proposal = _access_proposal(w)
    return lambda a: accounts.do_approve_access_proposals([proposal], acting_user=a)


@case("accounts.services.do_reject_proposal", allowed="security_admin")
def _(w):
    proposal = _access_proposal(w)
    return lambda a: accounts.do_reject_proposal(proposal, acting_user=a, note="不符合要求")


@case("accounts.services.do_set_reveal_permission", allowed="security_admin")
def _(w):
    return lambda a: accounts.do_set_reveal_permission(
        w.village_staff, allowed=True, acting_user=a, reason="工作需要"
    )


@case("accounts.services.do_set_active", allowed="system_admin")
def _(w):
    return lambda a: accounts.do_set_active(w.cadre_user, active=False, acting_user=a)


@case("accounts.services.do_reset_password", allowed="system_admin")
def _(w):
    return lambda a: accounts.do_reset_password(
        w.cadre_user, new_password=NEW_PASSWORD, acting_user=a
    )


@case("accounts.services.do_flag_weak_password", allowed="cadre_user")
def _(w):
    return lambda a: accounts.do_flag_weak_password(w.cadre_user, password="123", acting_user=a)


@case("accounts.services.do_change_password", allowed="cadre_user")
def _(w):
    return lambda a: accounts.do_change_password(
        w.cadre_user, new_password=NEW_PASSWORD, acting_user=a
    )


# --- audit ------------------------------------------------------------------------------------


@case(
    "audit.services.do_record_verification",
    "outsider",
    "leader_user",
    "system_admin",
    allowed="audit_admin",
)
def _(w):
    result = chain.Result(county_id=w.county.pk, rows=1, broken=None)
    return lambda a: audit.do_record_verification(result, acting_user=a)


# --- cards ------------------------------------------------------------------------------------

# Every data role but the read-only leader may print (docs/cards.md), which may issue a missing
# token: the refused ones are the leader, those who do not see the household and those who see
# no household at all.
PRINT_REFUSED = ("outsider", "leader_user", "system_admin")


@case("cards.services.do_issue_token", *PRINT_REFUSED, allowed="info_group")
def _(w):
    return lambda a: cards.do_issue_token(w.household, acting_user=a)


@case("cards.services.do_reissue_token", allowed="village_staff")
def _(w):
    cards.do_issue_token(w.household, acting_user=None)
    return lambda a: cards.do_reissue_token(w.household, acting_user=a, reason="原卡遗失")


@case("cards.services.do_revoke_token", allowed="village_staff")
def _(w):
    cards.do_issue_token(w.household, acting_user=None)
    return lambda a: cards.do_revoke_token(w.household, acting_user=a, reason="该户已迁出")


@case("cards.services.do_print_cards", *PRINT_REFUSED, allowed="info_group")
def _(w):
    selection = resolve(w.city_admin, "household", w.household.pk)
    return lambda a: cards.do_print_cards(selection, acting_user=a, base_url="http://127.0.0.1")


# --- geo --------------------------------------------------------------------------------------


@case("geo.services.do_create_county", "outsider", "leader_user", "city_admin")
def _(w):
    return lambda a: geo.do_create_county(code="510129", name="大邑县", acting_user=a)


@case("geo.services.do_create_region", allowed="city_admin")
def _(w):
    return lambda a: geo.do_create_region(
        county=w.county, level=Level.GROUP, name="8组", parent=w.village, acting_user=a
    )


@case("geo.services.do_rename_region", allowed="city_admin")
def _(w):
    return lambda a: geo.do_rename_region(w.group, name="八组", effective_on=today(), acting_user=a)


@case("geo.services.do_move_region", allowed="city_admin")
def _(w):
    return lambda a: geo.do_move_region(
        w.group, new_parent=w.village2, effective_on=today(), acting_user=a
    )


@case("geo.services.do_merge_regions", allowed="city_admin")
def _(w):
    return lambda a: geo.do_merge_regions(
        w.group2, into=w.group, effective_on=today() + TOMORROW, acting_user=a
    )


@case("geo.services.do_end_region", allowed="city_admin")
def _(w):
    empty = geo.do_create_region(
        county=w.county,
        level=Level.GROUP,
        name="9组",
        parent=w.village,
        valid_from=today() - dt.timedelta(days=10),
    )
    return lambda a: geo.do_end_region(empty, effective_on=today(), acting_user=a)


# --- org --------------------------------------------------------------------------------------


@case("org.services.do_create_unit", allowed="city_admin")
def _(w):
    return lambda a: org.do_create_unit(
        county=w.county, name="崇州市农业农村局", kind=UnitKind.CITY_DEPARTMENT, acting_user=a
    )


@case("org.services.do_update_unit", allowed="city_admin")
def _(w):
    return lambda a: org.do_update_unit(w.unit, acting_user=a, phone="028-82000000")


@case("org.services.do_create_cadre", allowed="city_admin")
def _(w):
    return lambda a: org.do_create_cadre(unit=w.unit, staff_no="C0099", name="王五", acting_user=a)


@case("org.services.do_bulk_create_cadres", allowed="city_admin")
def _(w):
    batch = [org.NewCadre(unit=w.unit, staff_no="C0100", name="赵六")]
    return lambda a: org.do_bulk_create_cadres(batch, acting_user=a)


@case("org.services.do_transfer_cadre", allowed="city_admin")
def _(w):
    return lambda a: org.do_transfer_cadre(
        w.cadre, unit=w.other_unit, acting_user=a, effective_on=today() + TOMORROW
    )


@case("org.services.do_update_cadre", allowed="city_admin")
def _(w):
    return lambda a: org.do_update_cadre(w.cadre, acting_user=a, name="马林")


@case("org.services.do_cadre_leaves", allowed="city_admin")
def _(w):
    return lambda a: org.do_cadre_leaves(w.cadre, left_on=today(), acting_user=a)


@case("org.services.do_assign_zone", allowed="city_admin")
def _(w):
    return lambda a: org.do_assign_zone(unit=w.unit, village=w.village2, acting_user=a)


@case("org.services.do_end_zone", allowed="city_admin")
def _(w):
    zone = w.unit.zones.get(village=w.village)
    return lambda a: org.do_end_zone(zone, valid_to=today(), acting_user=a)


@case("org.services.do_assign_liaison", allowed="city_admin")
def _(w):
    return lambda a: org.do_assign_liaison(
        leader=w.leader, township=w.other_township, acting_user=a
    )


@case("org.services.do_end_liaison", allowed="city_admin")
def _(w):
    liaison = w.leader.liaisons.get()
    return lambda a: org.do_end_liaison(liaison, valid_to=today(), acting_user=a)


# --- pairing ----------------------------------------------------------------------------------


def _pairing(w, *, locked: bool = False):
    return pairing.do_pair(cadre=w.cadre, household=w.household, acting_user=None, locked=locked)


# A long coverage list, in the asker's scope: a township outside it is refused (404) as on the page,
# and so is everyone who reads no people's data.
@case(
    "pairing.coverage_export.do_start_coverage_export",
    "outsider",
    "system_admin",
    "audit_admin",
    allowed="township_staff",
)
def _(w):
    return lambda a: coverage_export.do_start_coverage_export(
        acting_user=a, params={"list": "households", "township": str(w.township.pk)}
    )


@case("pairing.services.do_pair", allowed="city_admin")
def _(w):
    return lambda a: pairing.do_pair(cadre=w.cadre, household=w.household, acting_user=a)


@case("pairing.services.do_end_pairing", allowed="city_admin")
def _(w):
    p = _pairing(w)
    return lambda a: pairing.do_end_pairing(p, valid_to=today(), acting_user=a)


@case("pairing.services.do_pair_manually", allowed="city_admin")
def _(w):
    return lambda a: pairing.do_pair_manually(household=w.household, cadre=w.cadre, acting_user=a)


@case("pairing.services.do_lock_pairing", allowed="city_admin")
def _(w):
    p = _pairing(w)
    return lambda a: pairing.do_lock_pairing(p, acting_user=a)


@case("pairing.services.do_unlock_pairing", allowed="city_admin")
def _(w):
    p = _pairing(w, locked=True)
    return lambda a: pairing.do_unlock_pairing(p, acting_user=a)


@case("pairing.services.do_set_policy", allowed="city_admin")
def _(w):
    return lambda a: pairing.do_set_policy(
        county=w.county,
        acting_user=a,
        coverage=Coverage.ALL,
        min_load=0,
        max_load=12,
        keep_groups_together=False,
        exclude_city_leaders=True,
    )


@case("pairing.services.do_set_unit_override", allowed="city_admin")
def _(w):
    return lambda a: pairing.do_set_unit_override(
        unit=w.unit, min_load=1, max_load=5, acting_user=a
    )


@case("pairing.services.do_remove_unit_override", allowed="city_admin")
def _(w):
    override = pairing.do_set_unit_override(unit=w.unit, min_load=1, max_load=5, acting_user=None)
    return lambda a: pairing.do_remove_unit_override(override, acting_user=a)


@case("pairing.services.do_exclude_cadre", allowed="city_admin")
def _(w):
    return lambda a: pairing.do_exclude_cadre(cadre=w.cadre, reason="病假", acting_user=a)


@case("pairing.services.do_end_exclusion", allowed="city_admin")
def _(w):
    exclusion = pairing.do_exclude_cadre(cadre=w.cadre, reason="病假", acting_user=None)
    return lambda a: pairing.do_end_exclusion(exclusion, valid_to=today(), acting_user=a)


@case("pairing.services.do_start_pairing_run", allowed="city_admin")
def _(w):
    return lambda a: pairing.do_start_pairing_run(county=w.county, acting_user=a, start=False)


@case("pairing.services.do_apply_pairing_run", allowed="city_admin")
def _(w):
    run = pairing.do_start_pairing_run(county=w.county, acting_user=None, start=False)
    return lambda a: pairing.do_apply_pairing_run(run, acting_user=a)


# --- people -----------------------------------------------------------------------------------


@case("people.services.do_create_household", allowed="township_staff")
def _(w):
    return lambda a: people.do_create_household(
        county=w.county, number="51018411000000999", region=w.group, acting_user=a
    )


@case(
    "people.services.do_set_household_number_rule",
    "township_staff",
    "village_staff",
    "leader_user",
    "system_admin",
    allowed="city_admin",
)
def _(w):
    return lambda a: people.do_set_household_number_rule(
        county=w.county, pattern=r"510184\d{11}", description="17 位数字", acting_user=a
    )


@case("people.services.do_update_household", allowed="township_staff")
def _(w):
    return lambda a: people.do_update_household(w.household, acting_user=a, address="大坪村6组1号")


@case("people.services.do_add_hardship", allowed="township_staff")
def _(w):
    return lambda a: people.do_add_hardship(
        w.household, kind=HardshipKind.DISABILITY, acting_user=a
    )


@case("people.services.do_end_hardship", allowed="township_staff")
def _(w):
    hardship = people.do_add_hardship(w.household, kind=HardshipKind.DISABILITY, acting_user=None)
    return lambda a: people.do_end_hardship(hardship, valid_to=today(), acting_user=a)


@case("people.services.do_create_resident", allowed="township_staff")
def _(w):
    return lambda a: people.do_create_resident(
        household=w.household,
        name="罗小志",
        id_number=id_number(dt.date(2010, 3, 1)),
        relation=Relation.CHILD,
        acting_user=a,
    )


@case("people.services.do_update_resident", allowed="township_staff")
def _(w):
    resident = w.household.members.first()
    return lambda a: people.do_update_resident(resident, acting_user=a, name="罗选之")


@case("people.services.do_create_enterprise", allowed="township_staff")
def _(w):
    return lambda a: people.do_create_enterprise(
        county=w.county,
        name="崇州市大坪茶叶专业合作社",
        credit_code=credit_code(99),
        trade=Trade.A,
        region=w.village,
        acting_user=a,
    )


@case("people.services.do_reveal", allowed="township_staff")
def _(w):
    resident = w.household.members.first()
    return lambda a: people.do_reveal(resident, "id_number", acting_user=a, reason="核实身份")


# --- transfer ---------------------------------------------------------------------------------


# Registry writers import into their own scope, so the outsider may import: refused are the
# read-only leader and the system administrator, who sees no household.
@case("transfer.services.do_start_import", "leader_user", "system_admin", allowed="township_staff")
def _(w):
    def call(a):
        upload = SimpleUploadedFile("户籍.csv", "户号,姓名\nH0999,王五\n".encode())
        return transfer_services.do_start_import(
            acting_user=a, upload=upload, data_kind=DataKind.RESIDENTS, mode=ImportMode.ALL
        )

    return call


@case("transfer.services.do_set_import_limits", allowed="system_admin")
def _(w):
    return lambda a: transfer_services.do_set_import_limits(
        county=w.county, acting_user=a, rows=1000
    )


# Every role that reads people's data exports its own scope: refused are those who read none.
@case("transfer.services.do_start_export", "system_admin", "audit_admin", allowed="leader_user")
def _(w):
    return lambda a: transfer_services.do_start_export(
        acting_user=a, data_kind=DataKind.RESIDENTS, file_format=FileFormat.CSV
    )


def _export_job(w):
    return Job.objects.create(
        county=w.county,
        kind=JobKind.EXPORT,
        data_kind=DataKind.RESIDENTS,
        file_name="户籍导出.csv",
        created_by=w.city_admin,
        result="transfer/exports/none.csv",
        finished_at=timezone.now(),
    )


@case("transfer.retention.do_discard_export_file", allowed="city_admin")
def _(w):
    job = _export_job(w)
    return lambda a: retention.do_discard_export_file(job.pk, acting_user=a, why="测试")


@case("transfer.retention.do_purge_exports", "outsider", "leader_user", "system_admin")
def _(w):
    _export_job(w)
    return lambda a: retention.do_purge_exports(acting_user=a, keep_days=0)


@case("transfer.retention.do_purge_error_reports", "outsider", "system_admin")
def _(w):
    return lambda a: retention.do_purge_error_reports(acting_user=a, before=timezone.now())


@case("cards.print_files.do_purge_print_files", "outsider", "system_admin", "city_admin")
def _(w):
    from lianxin.cards.print_files import do_purge_print_files

    return lambda a: do_purge_print_files(acting_user=a)


@case("audit.key_rotation.do_rotate_field_key", "outsider", "system_admin", "security_admin")
def _(w):
    from lianxin.audit.key_rotation import do_rotate_field_key

    return lambda a: do_rotate_field_key(acting_user=a)


@case("audit.key_rotation.do_rehash_lookups", "outsider", "system_admin", "security_admin")
def _(w):
    from lianxin.audit.key_rotation import do_rehash_lookups

    return lambda a: do_rehash_lookups(acting_user=a)


@case("jobs.runner.do_cancel_job", allowed="city_admin")
def _(w):
    from lianxin.jobs import runner
    from lianxin.pairing.services import do_start_pairing_run

    run = do_start_pairing_run(county=w.county, acting_user=w.city_admin, start=False)
    return lambda a: runner.do_cancel_job(run.job, acting_user=a)


@case("pairing.services.do_cancel_pairing_run", allowed="city_admin")
def _(w):
    from lianxin.pairing.services import do_cancel_pairing_run, do_start_pairing_run

    run = do_start_pairing_run(county=w.county, acting_user=w.city_admin, start=False)
    return lambda a: do_cancel_pairing_run(run, acting_user=a)


@case("pairing.services.do_set_run_budget", allowed="city_admin")
def _(w):
    from lianxin.pairing.services import do_set_run_budget

    return lambda a: do_set_run_budget(
        county=w.county, acting_user=a, run_budget=60, run_budget_max=300
    )


@case(
    "transfer.services.do_cancel_transfer",
    "outsider",
    "leader_user",
    "village_staff",
    allowed="city_admin",
)
def _(w):
    from lianxin.transfer.services import do_cancel_transfer, start_job

    job = _export_job(w)
    job.status = "queued"
    job.save(update_fields=["status"])
    start_job(job)
    job.refresh_from_db()
    return lambda a: do_cancel_transfer(job, acting_user=a)


# --- visits -----------------------------------------------------------------------------------

# A visit is the cadre's own record: every other role is refused (403), and one who does not
# even see it 404.
NOT_THE_CADRE = ("outsider", "leader_user", "township_staff")


def _visit(w):
    from lianxin.visits import services as visits

    pairing.do_pair(
        cadre=w.cadre, household=w.household, acting_user=None, valid_from=today() - 10 * TOMORROW
    )
    return visits.do_record_visit(
        acting_user=w.cadre_user,
        households=[visits.Visited(w.household)],
        occurred_on=today(),
        mode="in_person",
    ).visit


def _photo_upload():
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return SimpleUploadedFile("p.png", out.getvalue(), content_type="image/png")


@case("visits.services.do_record_visit", *NOT_THE_CADRE, allowed="cadre_user")
def _(w):
    from lianxin.visits import services as visits

    _visit(w)
    return lambda a: visits.do_record_visit(
        acting_user=a,
        households=[visits.Visited(w.household, met=False)],
        occurred_on=today(),
        mode="in_person",
    )


@case("visits.services.do_edit_visit", *NOT_THE_CADRE, allowed="cadre_user")
def _(w):
    from lianxin.visits import services as visits

    visit = _visit(w)
    return lambda a: visits.do_edit_visit(visit, acting_user=a, expected_version=1, notes="补记")


@case("visits.services.do_withdraw_visit", *NOT_THE_CADRE, allowed="cadre_user")
def _(w):
    from lianxin.visits import services as visits

    visit = _visit(w)
    return lambda a: visits.do_withdraw_visit(visit, acting_user=a, reason="登错了")


@case("visits.services.do_add_visit_photo", *NOT_THE_CADRE, allowed="cadre_user")
def _(w):
    from lianxin.visits import services as visits

    visit = _visit(w)
    return lambda a: visits.do_add_visit_photo(visit, upload=_photo_upload(), acting_user=a)


@case("visits.services.do_remove_visit_photo", *NOT_THE_CADRE, allowed="cadre_user")
def _(w):
    from lianxin.visits import services as visits

    visit = _visit(w)
    photo = visits.do_add_visit_photo(visit, upload=_photo_upload(), acting_user=w.cadre_user)
    return lambda a: visits.do_remove_visit_photo(photo, acting_user=a)


@case("visits.services.do_show_contact_phones", *NOT_THE_CADRE, allowed="cadre_user")
def _show_contact_phones(w):
    from lianxin.visits import services as visits

    pairing.do_pair(cadre=w.cadre, household=w.household, acting_user=None)
    return lambda a: visits.do_show_contact_phones(acting_user=a, cadre=w.cadre, shown=1)


@case("visits.services.do_set_cadence", allowed="city_admin")
def _(w):
    from lianxin.visits import services as visits

    return lambda a: visits.do_set_cadence(
        county=w.county, acting_user=a, visits_per_month=2, overrides={HardshipKind.LIVING_ALONE: 3}
    )


@case(
    "visits.services.do_confirm_contact",
    "outsider",
    "cadre_user",
    "township_staff",
    "city_admin",
)
def _(w):
    """The household confirms on its card's page, signed in as no one: any signed-in account
    (a cadre tapping their own households' cards) is refused."""
    from lianxin.cards.services import do_issue_token
    from lianxin.visits import services as visits

    pairing.do_pair(cadre=w.cadre, household=w.household, acting_user=None)
    token = do_issue_token(w.household, acting_user=None).token
    return lambda a: visits.do_confirm_contact(token=token, acting_user=a)


# --- notices ----------------------------------------------------------------------------------


@case("notices.reminders.do_send_visit_reminders", "city_admin", "cadre_user", "system_admin")
def _(w):
    from lianxin.notices.reminders import do_send_visit_reminders

    return lambda a: do_send_visit_reminders(acting_user=a)


def _notice(w):
    from lianxin.notices.models import Notice

    return Notice.objects.create(
        county=w.county, user=w.cadre_user, kind="visits_due", day=today(), title="走访提醒"
    )


@case("notices.services.do_mark_read", "outsider", "township_staff", allowed="cadre_user")
def _(w):
    from lianxin.notices.services import do_mark_read

    notice = _notice(w)
    return lambda a: do_mark_read(notice, acting_user=a)


@case("notices.services.do_mark_all_read", "outsider", "leader_user", allowed="cadre_user")
def _(w):
    from lianxin.notices.services import do_mark_all_read

    _notice(w)
    return lambda a: do_mark_all_read(w.cadre_user, acting_user=a)


# --- stories ----------------------------------------------------------------------------------

NOT_THE_DIARIST = ("outsider", "leader_user", "township_staff", "city_admin")


def _diary(w):
    from lianxin.stories.services import do_write_diary

    pairing.do_pair(
        cadre=w.cadre, household=w.household, acting_user=None, valid_from=today() - 10 * TOMORROW
    )
    return do_write_diary(
        acting_user=w.cadre_user, title="第一次进六组", text="十一户人家。", date=today()
    )


@case("stories.services.do_write_diary", *NOT_THE_DIARIST, allowed="cadre_user")
def _(w):
    from lianxin.stories.services import do_write_diary

    return lambda a: do_write_diary(acting_user=a, title="雨天", text="打了电话。", date=today())


@case("stories.services.do_edit_diary", *NOT_THE_DIARIST, allowed="cadre_user")
def _(w):
    from lianxin.stories.services import do_edit_diary

    diary = _diary(w)
    return lambda a: do_edit_diary(
        diary, acting_user=a, title="第一次进六组", text="十一户。", date=today()
    )


@case("stories.services.do_submit_story", *NOT_THE_DIARIST, allowed="cadre_user")
def _(w):
    from lianxin.stories.services import do_submit_story

    diary = _diary(w)
    return lambda a: do_submit_story(diary, acting_user=a)


# Reviewers: the organisation department (city admin) and the unit's own staff; the civil
# affairs bureau's handler reviews only its own cadres' stories (404 here).
NOT_A_REVIEWER = ("outsider", "leader_user", "township_staff", "cadre_user", "handler")


def _story(w):
    from lianxin.stories.services import do_submit_story

    return do_submit_story(_diary(w), acting_user=w.cadre_user)


@case("stories.services.do_return_story", *NOT_A_REVIEWER, allowed="city_admin")
def _(w):
    from lianxin.stories.services import do_return_story

    story = _story(w)
    return lambda a: do_return_story(story, acting_user=a, comment="再补充一点")


@case("stories.services.do_publish_story", *NOT_A_REVIEWER, allowed="city_admin")
def _(w):
    from lianxin.stories.services import do_publish_story

    story = _story(w)
    return lambda a: do_publish_story(story, acting_user=a)


# --- the tests --------------------------------------------------------------------------------


def test_it_has_a_refusal_case_for_every_service():
    services = discovered()
    assert len(services) > 50  # the discovery itself works
    missing = sorted(services - set(CASES) - EXEMPT)
    assert not missing, f"do_* services without a refusal case in {__name__}: {missing}"
    assert not sorted(set(CASES) - services), "cases for services that no longer exist"
    assert not sorted(EXEMPT & set(CASES))


def test_it_calls_the_services_the_cases_name():
    for name in CASES:
        module, func = name.rsplit(".", 1)
        assert callable(getattr(importlib.import_module(f"lianxin.{module}"), func)), name


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(CASES))
def test_it_refuses_an_actor_the_service_does_not_allow(world, name):
    setup, personas, allowed = CASES[name]
    call = setup(world)
    for persona in personas:
        before = AuditEntry.objects.count()
        with pytest.raises(Refused) as refused:
            call(getattr(world, persona))
        assert refused.value.status in (403, 404), (persona, refused.value.status)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in refused.value.message), persona
        assert AuditEntry.objects.count() == before, persona
    # The refusals were about the actor: one the role allows gets past the check (a refusal of
    # the object's state, such as a run not yet previewed, is not a refusal of the actor).
    try:
        call(None if allowed is None else getattr(world, allowed))
    except Refused as exc:
        assert exc.status not in (403, 404), (allowed, exc.status, exc.message)
