"""The daily recomputation of per-lot safety signals and the safety contact's e-mail.

LotSignal keeps, per lot and event type, whether the lot signals and since when. A lot
that starts to signal opens an episode; the safety contact is told once per episode
(notified_at), only after the mail server accepted the message. A lot that stops
signalling clears, so signalling again later is a new episode and is told again."""

import datetime
import logging
from typing import cast

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse

from apps.clinic.selectors import clinic_profile
from apps.safety.models import LotSignal
from apps.safety.selectors.safety_signals import (
    Level,
    SafetySignal,
    lot_signal_lines,
    safety_signals,
)
from exotrack.emails import email_message

logger = logging.getLogger(__name__)

# One refresh at a time (the beat task may be delivered twice): a PostgreSQL advisory
# lock held for the transaction, keyed by this arbitrary constant.
_REFRESH_LOCK = 0x5AFE_5167


def _lock_refresh() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_REFRESH_LOCK])


def _lot_signals_store(*, signals: list[SafetySignal], now: datetime.datetime) -> None:
    """Upsert one LotSignal per tested lot and event type, opening and clearing
    episodes. Lots no longer tested (every dose voided) clear too.

    One INSERT ... ON CONFLICT DO UPDATE for all rows: an UPDATE per row (or Django's
    CASE-per-column bulk_update) takes seconds with hundreds of lots."""
    # Keyed by (lot, event type): the signals are lot-level, whose key is the lot's id.
    tested = {(cast(int, s.key), s.event_type.pk): s for s in signals}
    stored = {
        (row.lot_id, row.event_type_id): row
        for row in LotSignal.objects.select_for_update().only(
            "lot", "event_type", "signalling", "signalling_since", "notified_at"
        )
    }
    rows = []
    for lot_id, event_type_id in tested.keys() | stored.keys():
        signal = tested.get((lot_id, event_type_id))
        before = stored.get((lot_id, event_type_id))
        signalling = signal is not None and signal.signalling
        # An episode goes on (its start and whether it was told are kept), begins now,
        # or there is none.
        if signalling and before is not None and before.signalling:
            since, notified_at = before.signalling_since, before.notified_at
        else:
            since, notified_at = (now if signalling else None), None
        rows.append(
            LotSignal(
                lot_id=lot_id,
                event_type_id=event_type_id,
                signalling=signalling,
                signalling_since=since,
                notified_at=notified_at,
                computed_at=now,
                exposures=signal.exposures if signal else 0,
                events=signal.events if signal else 0,
                p_value=signal.p_value if signal else None,
            )
        )
    LotSignal.objects.bulk_create(
        rows,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["lot", "event_type"],
        update_fields=[
            "signalling",
            "signalling_since",
            "notified_at",
            "computed_at",
            "exposures",
            "events",
            "p_value",
        ],
    )


def _safety_contact_tell(*, lot_signals: list[LotSignal], now: datetime.datetime) -> bool:
    """E-mail the safety contact one message listing the lots; False when the clinic
    has no safety contact (the lots stay untold, to be told once one is set)."""
    profile = clinic_profile()
    if not profile.safety_contact_email:
        logger.warning(
            "%d lot(s) newly signal but the clinic has no safety contact e-mail.",
            len(lot_signals),
        )
        return False
    message = email_message(
        template="safety/email/signal",
        context={
            "clinic": profile,
            "lot_signals": lot_signal_lines(lot_signals),
            "signals_url": settings.SITE_URL + reverse("safety:signals"),
            "now": now,
        },
        to=[profile.safety_contact_email],
    )
    message.send()
    return True


def safety_signals_refresh(*, now: datetime.datetime) -> list[LotSignal]:
    """Recompute the lot-level signals, store them, and tell the safety contact about
    lots that newly signal. Returns those lots (their LotSignal rows).

    Idempotent and safe to run twice at once: both steps hold one advisory lock, and a
    lot already told in this episode is never told again. The recomputation is kept even
    when the e-mail fails; the failure propagates (the task retries) and the lots stay
    untold until a send succeeds."""
    with transaction.atomic():
        _lock_refresh()
        _lot_signals_store(signals=safety_signals(levels=[Level.LOT]), now=now)
    with transaction.atomic():
        _lock_refresh()
        untold = list(
            LotSignal.objects.select_for_update(of=("self",))
            .filter(signalling=True, notified_at__isnull=True)
            .select_related("lot__product", "event_type")
            .order_by("lot__product__name", "lot__lot_number", "event_type__name")
        )
        if untold and _safety_contact_tell(lot_signals=untold, now=now):
            LotSignal.objects.filter(pk__in=[row.pk for row in untold]).update(notified_at=now)
            for row in untold:
                row.notified_at = now
    return untold
