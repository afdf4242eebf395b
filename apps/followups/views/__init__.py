"""Staff pages of follow-ups, by area (one module each)."""
