"""The safety records over REST, by area: adverse_events, medication_flags, recalls,
safety_signals."""
