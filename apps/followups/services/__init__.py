"""Writes of follow-ups, by area: scheduling (rules, staff changes), reminders (the
e-mail sender), self_reports (what patients submit through their link)."""
