"""What other parts of the clinic hear about visits.

Sent inside the recording (or voiding) transaction, after the visit and its doses are
saved: a receiver's writes (medication flags, follow-ups) commit or roll back with the
visit, and a receiver that raises ValidationError refuses the whole visit."""

from django.dispatch import Signal

# kwargs: visit (with its doses saved), by (the staff member)
visit_recorded = Signal()

# kwargs: visit (now voided), by, reason
visit_voided = Signal()

# Many past visits recorded at once (an import; services.past_visits_record), in place of
# visit_recorded for each. kwargs: visits (saved), doses (saved, each with its visit's
# id and its site), by. A receiver does for them what it does for visit_recorded (but a
# past record gets no follow-up whose day has passed), reading once for all the visits
# rather than once for each.
past_visits_recorded = Signal()
