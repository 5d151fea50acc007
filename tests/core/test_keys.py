"""Keys that fail closed and rotate (issue 7, point 4): no key is made up outside development, a
wrong key is refused at start by the canaries, the field key rotates over every sealed row in
resumable batches while the lookup hashes and the audit chain stay as they were, and a sealed
value copied into another row or column does not open there."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from lianxin.audit.key_rotation import do_rehash_lookups, do_rotate_field_key
from lianxin.audit.models import AuditEntry
from lianxin.audit.verify import verify
from lianxin.core import keys
from lianxin.core.errors import Refused
from lianxin.core.models import KeyCanary
from lianxin.core.sensitive import forget_keys, id_number_hash, keyring, unseal_field
from lianxin.lib.crypto import generate_key, key_id
from lianxin.lib.errors import InvalidValue
from lianxin.org.models import Cadre
from lianxin.people.models import Resident
from lianxin.people.services import do_reveal


@pytest.fixture
def keys_changed(settings):
    """Change settings' keys inside a test; the cached keyring follows, before and after."""
    forget_keys()
    yield settings
    forget_keys()


def _setup(env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("LIANXIN_")}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=settings.BASE_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "lianxin.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_refuses_to_load_without_its_keys_outside_development(tmp_path):
    var = {"LIANXIN_VAR_DIR": str(tmp_path)}
    refused = _setup(var)
    assert refused.returncode != 0
    for name in ("LIANXIN_SECRET_KEY", "LIANXIN_FIELD_KEY", "LIANXIN_LOOKUP_KEY"):
        assert f"未设置 {name}" in refused.stderr
    assert "未设置 LIANXIN_AUDIT_KEY" in refused.stderr
    assert not list(tmp_path.glob("*key*"))  # no key file made up on the spot

    given = {
        "LIANXIN_SECRET_KEY": "s" * 50,
        "LIANXIN_FIELD_KEY": generate_key(),
        "LIANXIN_LOOKUP_KEY": generate_key(),
        "LIANXIN_AUDIT_KEY": generate_key(),
    }
    assert _setup({**var, **given}).returncode == 0
    bad = _setup({**var, **given, "LIANXIN_LOOKUP_KEY": "short"})
    assert bad.returncode != 0 and "LIANXIN_LOOKUP_KEY：密钥格式错误" in bad.stderr
    assert "short" not in bad.stderr.replace("LIANXIN_LOOKUP_KEY", "")
    same = _setup({**var, **given, "LIANXIN_LOOKUP_KEY": given["LIANXIN_FIELD_KEY"]})
    assert same.returncode != 0 and "是同一个密钥" in same.stderr
    # Development makes the missing ones into the var dir, once.
    assert _setup({**var, "LIANXIN_DEV_KEYS": "1"}).returncode == 0
    made = {p.name for p in tmp_path.iterdir()}
    assert {"field.key", "lookup.key", "audit.key", "secret_key"} <= made


def test_it_refuses_a_field_key_the_database_contradicts(world, keys_changed):
    keys.ensure_canaries()
    assert set(KeyCanary.objects.values_list("purpose", flat=True)) == set(KeyCanary.Purpose)
    keys.refuse_wrong_keys()  # the right keys start

    keys_changed.FIELD_KEY = generate_key()
    forget_keys()
    with pytest.raises(ImproperlyConfigured, match="LIANXIN_FIELD_KEY 与数据库不符"):
        keys.refuse_wrong_keys()
    with pytest.raises(SystemCheckError, match=r"lianxin\.E110"):
        call_command("check", databases=["default"], fail_level="ERROR")


@pytest.mark.parametrize("setting", ["LOOKUP_KEY", "AUDIT_KEY"])
def test_it_refuses_a_wrong_lookup_or_audit_key(world, keys_changed, setting):
    keys.ensure_canaries()
    setattr(keys_changed, setting, generate_key())
    forget_keys()
    with pytest.raises(ImproperlyConfigured, match=f"LIANXIN_{setting} 与数据库不符"):
        keys.refuse_wrong_keys()


def test_it_writes_no_canary_for_a_key_the_sealed_rows_disown(world, keys_changed):
    KeyCanary.objects.all().delete()
    keys_changed.FIELD_KEY = generate_key()
    forget_keys()
    with pytest.raises(ImproperlyConfigured, match="字段加密密钥与数据库中已加密"):
        keys.refuse_wrong_keys()
    assert not KeyCanary.objects.filter(purpose="field").exists()
    # The lookup and audit keys are right: their canaries are written, from the evidence.
    assert set(KeyCanary.objects.values_list("purpose", flat=True)) == {"lookup", "audit"}


def test_it_rotates_the_field_key_resumably_leaving_hashes_and_the_audit_chain(world, keys_changed):
    keys.ensure_canaries()
    old = settings.FIELD_KEY
    before = {
        r.pk: (unseal_field(r, "id_number"), r.id_number_hash) for r in Resident.objects.all()
    }
    phones = {c.pk: unseal_field(c, "phone") for c in Cadre.objects.all()}
    assert before and any(phones.values())

    keys_changed.FIELD_KEY = new = generate_key()
    keys_changed.FIELD_KEYS_OLD = [old]
    forget_keys()
    # Old rows read through the keyring meanwhile; the start check only says to rotate.
    assert all(unseal_field(r, "id_number") == before[r.pk][0] for r in Resident.objects.all())
    keys.refuse_wrong_keys()
    assert any(not p.fatal and "rotate-field-key" in p.hint for p in keys.canary_problems())

    # Stopped after its first batch (a crash, a Ctrl-C): what it did stays, the rest waits.
    class Stop(Exception):
        pass

    def stop(_):
        raise Stop

    with pytest.raises(Stop):
        do_rotate_field_key(batch=1, progress=stop)
    prefix = keyring().prefix
    tokens = [*Cadre.objects.exclude(phone_enc="").values_list("phone_enc", flat=True)]
    tokens += Resident.objects.values_list("id_number_enc", flat=True)
    assert sum(t.startswith(prefix) for t in tokens) == 1

    changed = do_rotate_field_key(batch=2)
    with_phone = sum(1 for phone in phones.values() if phone)
    assert sum(changed.values()) == len(before) + with_phone - 1
    assert all(r.id_number_enc.startswith(prefix) for r in Resident.objects.all())
    assert all(not c.phone_enc or c.phone_enc.startswith(prefix) for c in Cadre.objects.all())
    assert AuditEntry.objects.filter(action="轮换字段加密密钥").exists()

    # The old key can go: everything opens under the new one, hashes and chain unchanged.
    keys_changed.FIELD_KEYS_OLD = []
    forget_keys()
    assert key_id(new) == keyring().current
    for r in Resident.objects.all():
        assert (unseal_field(r, "id_number"), r.id_number_hash) == before[r.pk]
    assert {c.pk: unseal_field(c, "phone") for c in Cadre.objects.all()} == phones
    assert keys.canary_problems() == []
    assert all(result.broken is None and result.rows for result in verify())


def test_it_rehashes_lookups_under_a_new_lookup_key(world, keys_changed):
    keys.ensure_canaries()
    resident = Resident.objects.order_by("pk").first()
    number = unseal_field(resident, "id_number")
    keys_changed.LOOKUP_KEY = generate_key()
    forget_keys()
    with pytest.raises(ImproperlyConfigured, match="LIANXIN_LOOKUP_KEY 与数据库不符"):
        keys.refuse_wrong_keys()
    assert not Resident.objects.filter(id_number_hash=id_number_hash(number)).exists()

    changed = do_rehash_lookups(batch=3)
    assert sum(changed.values()) >= Resident.objects.count()
    assert Resident.objects.get(id_number_hash=id_number_hash(number)) == resident
    keys.refuse_wrong_keys()
    assert do_rehash_lookups() == {}  # run again: nothing left to change


def test_it_binds_a_sealed_value_to_its_row_and_column(world):
    head, other = Resident.objects.exclude(phone_enc="").order_by("pk")[:2]
    # A phone copied into another resident's row does not open there, nor in another column.
    Resident.objects.filter(pk=other.pk).update(phone_enc=head.phone_enc)
    Resident.objects.filter(pk=head.pk).update(id_number_enc=head.phone_enc)
    other.refresh_from_db()
    head.refresh_from_db()
    for row, field in ((other, "phone"), (head, "id_number")):
        with pytest.raises(InvalidValue, match="不属于此字段或此行"):
            unseal_field(row, field)
    with pytest.raises(Refused) as refused:
        do_reveal(other, "phone", acting_user=world.township_staff, reason="核对电话")
    assert refused.value.status == 409 and "无法解密" in refused.value.message
    assert len({r.seal_ref for r in Resident.objects.all()}) == Resident.objects.count()
