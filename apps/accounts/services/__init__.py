"""Writes to staff accounts: the team (staff.py), the second sign-in step
(second_factor.py) and personal API tokens (api_tokens.py)."""

from apps.accounts.services.staff import staff_user_seed

# The seed commands add the demo and benchmark accounts through this name.
__all__ = ["staff_user_seed"]
