"""What other parts of the clinic hear about visits.

Sent inside the recording (or voiding) transaction, after the visit and its doses are
saved: a receiver's writes (medication flags, follow-ups) commit or roll back with the
visit, and a receiver that raises ValidationError refuses the whole visit."""

from django.dispatch import Signal

# kwargs: visit (with its doses saved), by (the staff member)
visit_recorded = Signal()

# kwargs: visit (now voided), by, reason
visit_voided = Signal()
