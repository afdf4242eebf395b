"""Follow-ups over REST, by area (one module each)."""
