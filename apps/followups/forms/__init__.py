"""Staff forms of follow-ups, by area (one module each)."""
