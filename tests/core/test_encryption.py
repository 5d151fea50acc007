"""ID numbers and phones never reach the database as plain text."""

import pytest
from django.conf import settings
from django.db import connection

from lianxin.core.sensitive import unseal_field
from lianxin.people.models import Resident
from lianxin.people.services import do_create_resident

ID_NUMBER = "51018419700517001X"
PHONE = "13912345678"


def _plain_values():
    from lianxin.lib.idcard import check_char

    first17 = ID_NUMBER[:17]
    return first17 + check_char(first17), PHONE


@pytest.mark.django_db(transaction=True)
def test_it_keeps_id_numbers_and_phones_out_of_every_table():
    from tests.factories import build_world

    world = build_world()
    id_number, phone = _plain_values()
    resident = do_create_resident(
        household=world.household,
        name="王五",
        id_number=id_number,
        relation="child",
        phone=phone,
        acting_user=world.city_admin,
    )
    assert unseal_field(resident, "id_number") == id_number
    assert resident.id_number_masked == id_number[:6] + "********" + id_number[-4:]
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")
            for row in cursor.fetchall():
                text = " ".join(str(v) for v in row)
                assert id_number not in text, table
                assert phone not in text, table
                assert id_number[6:14] + id_number[14:] not in text, table
    if connection.vendor == "sqlite":
        # The bytes on disk too, WAL included, after a checkpoint.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        path = connection.settings_dict["NAME"]
        with open(path, "rb") as stream:
            data = stream.read()
        assert id_number.encode() not in data
        assert phone.encode() not in data
        for key in (settings.FIELD_KEY, settings.LOOKUP_KEY, settings.AUDIT_KEY):
            assert key.encode() not in data


def test_it_finds_a_resident_by_the_keyed_hash_of_the_full_number(world):
    from lianxin.core.sensitive import id_number_hash

    resident = Resident.objects.first()
    plain = unseal_field(resident, "id_number")
    assert Resident.objects.get(id_number_hash=id_number_hash(plain.lower())) == resident
