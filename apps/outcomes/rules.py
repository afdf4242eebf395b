"""The clinic's outcome rules, in one place: who counts as a responder, and which
region score a treated site carries. Pure functions, reused by pages and reports."""

from django.conf import settings
from psycopg import sql

from apps.outcomes.models import RegionInstrument
from apps.treatments.models import TreatmentSite


def is_responder(baseline: int | None, pain: int | None) -> bool | None:
    """Pain down from baseline by at least OUTCOME_RESPONDER_MIN_POINTS points or by at
    least OUTCOME_RESPONDER_MIN_PERCENT % of the baseline. None when either is unknown.

    Integer arithmetic (drop x 100 >= percent x baseline), so exactly 30 % counts and the
    SQL form below gives the same answer to the row."""
    if baseline is None or pain is None:
        return None
    drop = baseline - pain
    if drop >= settings.OUTCOME_RESPONDER_MIN_POINTS:
        return True
    return baseline > 0 and drop * 100 >= settings.OUTCOME_RESPONDER_MIN_PERCENT * baseline


def responder_sql(*, baseline: str, pain: str) -> sql.Composed:
    """`is_responder` in SQL, for reports that count responders in the database:
    `baseline` and `pain` are SQL expressions of the two pain scores, and the thresholds
    are the query parameters of `responder_params()`. NULL when either pain is unknown,
    as the Python form answers None."""
    return sql.SQL(
        "CASE WHEN {baseline} IS NULL OR {pain} IS NULL THEN NULL "
        "ELSE ({baseline} - {pain} >= %(responder_points)s "
        "OR ({baseline} > 0 AND ({baseline} - {pain}) * 100 "
        ">= %(responder_percent)s * {baseline})) END"
    ).format(baseline=sql.SQL(baseline), pain=sql.SQL(pain))


def responder_params() -> dict[str, int]:
    """The thresholds `responder_sql` reads, from the settings at the time of the query."""
    return {
        "responder_points": settings.OUTCOME_RESPONDER_MIN_POINTS,
        "responder_percent": settings.OUTCOME_RESPONDER_MIN_PERCENT,
    }


# Joint sites by the words of their name: the knee has KOOS; the upper limb QuickDASH.
# Other joints (hip, ankle) have no region score the clinic keeps.
_KNEE_WORDS = ("knee",)
_UPPER_LIMB_WORDS = ("shoulder", "elbow", "wrist", "hand", "arm", "finger", "thumb")


def region_instrument(site: TreatmentSite) -> str:
    """The region score kept for a treated site: by its category (tendon: QuickDASH,
    since the clinic's tendons are the hand's; face: FACE-Q), and for joints by the
    name (knee: KOOS; shoulder, elbow, wrist, hand: QuickDASH). Others: none."""
    if site.category == TreatmentSite.Category.FACE:
        return RegionInstrument.FACE_Q
    if site.category == TreatmentSite.Category.TENDON:
        return RegionInstrument.QUICKDASH
    if site.category == TreatmentSite.Category.JOINT:
        name = site.name.lower()
        if any(word in name for word in _KNEE_WORDS):
            return RegionInstrument.KOOS
        if any(word in name for word in _UPPER_LIMB_WORDS):
            return RegionInstrument.QUICKDASH
    return RegionInstrument.NONE
