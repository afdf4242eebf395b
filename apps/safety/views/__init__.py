"""Staff pages of the safety records, by area: adverse_events, medication_flags,
recalls, safety_signals."""
