"""连心卡 state changes (issuing, re-issuing and revoking QR tokens; printing) and the read side
they share with the public page: who a household's card leads to today.

A card's QR code names a token, never the household: the token is unguessable, and when a card is
lost the token is revoked and a new one issued, so the old card stops working. The cadre printed
on the card may change later; the QR page always shows the current one.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from lianxin.audit.services import record
from lianxin.core.access import check_actor, check_in_scope
from lianxin.core.errors import Refused
from lianxin.core.integrity import refuse_conflicts
from lianxin.core.models import today
from lianxin.core.sensitive import unseal_field
from lianxin.jobs import runner
from lianxin.jobs.choices import JobKind
from lianxin.jobs.models import Job
from lianxin.org.choices import UnitKind
from lianxin.org.models import Cadre, Unit
from lianxin.pairing.models import CardToken, Pairing
from lianxin.people.models import Household

from . import pdf
from .selection import Selection

# Households read per database round trip while drawing: a multiple of the ten cards a sheet.
BATCH = 500


def new_token() -> str:
    """43 URL-safe characters from 32 random bytes: not guessable, not derived from the household."""
    return secrets.token_urlsafe(32)


def live_token(household: Household) -> CardToken | None:
    return CardToken.objects.filter(household=household, revoked_at__isnull=True).first()


def _require_writer(acting_user: Any, household: Household) -> None:
    # Revoking a card is a registry change: only those who may change households do it.
    check_actor(
        acting_user,
        "writes_registry",
        "您没有补发或作废连心卡的权限",
        county_id=household.county_id,
    )
    check_in_scope(acting_user, household)


def _require_printer(acting_user: Any, obj: Any) -> None:
    # Printing (and the token it may issue) is open to every role that sees the household.
    check_actor(acting_user, "prints_cards", "您没有打印连心卡的权限", county_id=obj.county_id)
    check_in_scope(acting_user, obj, write=False)


def _lock(household: Household) -> None:
    # Two staff re-issuing the same household's card at once: lock the household first.
    Household.objects.select_for_update().get(pk=household.pk)


def _issue(household: Household, acting_user: Any) -> CardToken:
    return CardToken.objects.create(
        county_id=household.county_id, household=household, token=new_token(), issued_by=acting_user
    )


def do_issue_token(household: Household, *, acting_user: Any) -> CardToken:
    """The household's live token, issued now if it has none (idempotent)."""
    _require_printer(acting_user, household)
    with refuse_conflicts():
        _lock(household)
        token = live_token(household)
        if token is not None:
            return token
        token = _issue(household, acting_user)
        record(actor=acting_user, action="签发连心卡二维码", target=household)
        return token


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise Refused("请填写原因（至少2个字），例如“原卡遗失”", field="reason")
    return reason


def do_reissue_token(household: Household, *, acting_user: Any, reason: str) -> CardToken:
    """A lost or damaged card: the live token is revoked (the old card stops working) and a
    new one issued for the replacement card."""
    _require_writer(acting_user, household)
    reason = _check_reason(reason)
    with refuse_conflicts():
        _lock(household)
        old = live_token(household)
        if old is not None:
            old.revoked_at = timezone.now()
            old.save(update_fields=["revoked_at"])
        token = _issue(household, acting_user)
        record(
            actor=acting_user,
            action="补发连心卡",
            target=household,
            changes={"二维码": ["原卡作废" if old else "未签发", "已签发新码"]},
            reason=reason,
        )
        return token


def do_revoke_token(household: Household, *, acting_user: Any, reason: str) -> CardToken | None:
    """Withdraw the household's card without a replacement; None when it had no live token."""
    _require_writer(acting_user, household)
    reason = _check_reason(reason)
    with transaction.atomic():
        _lock(household)
        token = live_token(household)
        if token is None:
            return None
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(
            actor=acting_user,
            action="作废连心卡二维码",
            target=household,
            changes={"二维码": ["有效", "已作废"]},
            reason=reason,
        )
        return token


# Printing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrintSummary:
    """What a print will hold, shown before the download."""

    cards: int
    pages: int
    without_token: int
    unpaired: int

    @property
    def seconds(self) -> int:
        """Rough drawing time (about 100 cards a second), shown before a big print."""
        return math.ceil(self.cards / 100)


def summarize(selection: Selection) -> PrintSummary:
    households = selection.households
    cards = households.count()
    live = CardToken.objects.filter(revoked_at__isnull=True).values("household_id")
    return PrintSummary(
        cards=cards,
        pages=pdf.page_count(cards),
        without_token=households.exclude(pk__in=live).count(),
        unpaired=households.exclude(pk__in=_served().values("household_id")).count(),
    )


def _served():
    """Current pairings whose cadre is still taking part: a departed cadre reaches no one."""
    return Pairing.objects.serving(today())


def issue_missing(selection: Selection, *, acting_user: Any) -> int:
    """Issue tokens in bulk to the selection's households that have none; returns how many."""
    issued = 0
    # A concurrent print may issue some of the same tokens: the partial unique index turns
    # those inserts into no-ops, and the next round picks up any household still without one.
    for attempt in range(4):
        live = CardToken.objects.filter(revoked_at__isnull=True).values("household_id")
        missing = list(selection.households.exclude(pk__in=live).values_list("pk", "county_id"))
        if not missing:
            return issued
        if attempt == 3:
            break
        CardToken.objects.bulk_create(
            [
                CardToken(
                    county_id=county, household_id=pk, token=new_token(), issued_by=acting_user
                )
                for pk, county in missing
            ],
            batch_size=BATCH,
            ignore_conflicts=True,
        )
        issued += len(missing)
    raise Refused("签发二维码时发生冲突，请重试", status=409)


def do_print_cards(selection: Selection, *, acting_user: Any, base_url: str) -> Job:
    """Ask for the selection's cards as a PDF: issue missing tokens, record the print, and
    hand the drawing to the job worker (lianxin.cards.jobs); returns the print's job.

    Tokens, the audit row ("打印连心卡" with the selection and the count) and the job commit in
    one short transaction; the drawing (about 100 cards a second) never runs in a web process.
    """
    _require_printer(acting_user, selection.obj)
    pdf.cjk_font()  # a missing font is refused before anything is issued or recorded
    cards = selection.households.count()
    if not cards:
        raise Refused(f"“{selection.label}”没有可打印连心卡的户", field="selection")
    with transaction.atomic():
        issued = issue_missing(selection, acting_user=acting_user)
        job = runner.create(
            JobKind.CARDS,
            county_id=acting_user.county_id,
            created_by=acting_user,
            params={
                "kind": selection.kind,
                "pk": selection.obj.pk,
                "scope": f"{selection.kind_label}：{selection.label}",
                "filename": f"{selection.label}连心卡.pdf",
                "base_url": base_url,
                "cards": cards,
            },
        )
        record(
            actor=acting_user,
            action="打印连心卡",
            target=selection.obj,
            changes={
                "范围": [None, f"{selection.kind_label}：{selection.label}"],
                "张数": [None, cards],
                "新签发二维码": [None, issued],
                "任务": [None, f"#{job.pk}"],
            },
        )
    runner.start(job)
    return job


def public_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + reverse("cards:public", args=[token])


def township_offices(county_id: int) -> dict[int, Unit]:
    """Each township's government unit (its contact for households), by township id."""
    units = Unit.objects.filter(
        county_id=county_id,
        kind=UnitKind.TOWNSHIP_GOVERNMENT,
        township__isnull=False,
        dissolved_on__isnull=True,
    ).order_by("-pk")
    # Ordered newest first, so the oldest office wins when a township has two.
    return {u.township_id: u for u in units if u.township_id is not None}


def card_rows(ids: list[int], base_url: str) -> Iterator[pdf.Card]:
    """The cards for the households, in the given order, read from the database in batches."""
    offices: dict[int, dict[int, Unit]] = {}
    phones: dict[int, str] = {}
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        households = Household.objects.select_related("village", "region", "township").in_bulk(
            chunk
        )
        tokens = dict(
            CardToken.objects.filter(household_id__in=chunk, revoked_at__isnull=True).values_list(
                "household_id", "token"
            )
        )
        cadres: dict[int, Cadre] = {}
        for pairing in (
            _served()
            .filter(household_id__in=chunk)
            .select_related("cadre__unit")
            .order_by("valid_from", "pk")
        ):
            cadres[pairing.household_id] = pairing.cadre
        for pk in chunk:
            household = households.get(pk)
            if household is None or pk not in tokens:
                continue  # deleted or its card withdrawn since the print began: no card
            if household.county_id not in offices:
                offices[household.county_id] = township_offices(household.county_id)
            county_offices = offices[household.county_id]
            yield _card(
                household,
                public_url(base_url, tokens[pk]),
                cadres.get(pk),
                county_offices.get(household.township_id),
                phones,
            )


def _card(
    household: Household,
    url: str,
    cadre: Cadre | None,
    office: Unit | None,
    phones: dict[int, str],
) -> pdf.Card:
    # Under its township always (Household.full_address): a county repeats village names.
    address = household.full_address
    if cadre is None:
        return pdf.Card(
            url=url,
            address=address,
            township_name=office.name if office else household.township.name,
            township_phone=office.phone if office else "",
        )
    # The cadre's work phone is printed in full: reaching the cadre is what the card is for.
    if cadre.pk not in phones:
        phones[cadre.pk] = unseal_field(cadre, "phone")
    return pdf.Card(
        url=url,
        address=address,
        cadre_name=cadre.name,
        unit_name=cadre.unit.name,
        post=cadre.post,
        phone=phones[cadre.pk],
    )


# The public page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    """What the household's public page shows: who serves it today and how to reach them."""

    village_name: str
    township_name: str
    cadre: Cadre | None
    cadre_phone: str
    office: Unit | None
    # For the confirmation tap only; never shown on the page.
    household_id: int | None = None


def contact_for_token(token: str) -> Contact | None:
    """The contact behind a live token, or None for an unknown or revoked one."""
    if not token or len(token) > 64:
        return None
    card = (
        CardToken.objects.filter(token=token, revoked_at__isnull=True)
        .select_related("household__village", "household__township")
        .first()
    )
    if card is None:
        return None
    household = card.household
    pairing = (
        _served()
        .filter(household=household)
        .select_related("cadre__unit")
        .order_by("-valid_from", "-pk")
        .first()
    )
    cadre = pairing.cadre if pairing else None
    return Contact(
        village_name=household.village.short_name,
        township_name=household.township.short_name,
        cadre=cadre,
        cadre_phone=unseal_field(cadre, "phone") if cadre else "",
        office=township_offices(household.county_id).get(household.township_id),
        household_id=household.pk,
    )
