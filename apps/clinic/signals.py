"""What other parts of the clinic hear about changes to the clinic's profile.

Sent inside the saving transaction: a receiver's writes commit or roll back with it."""

from django.dispatch import Signal

# kwargs: send_time (the new datetime.time), by (the manager). Sent only when it changed.
reminder_send_time_changed = Signal()
