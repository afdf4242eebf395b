"""Outcome assessments over REST (outcome_assessments)."""
