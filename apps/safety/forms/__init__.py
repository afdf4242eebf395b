"""Forms of the safety pages, by area: adverse_events, medication_flags, recalls."""
