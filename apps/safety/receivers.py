"""Connects this app to what the treatments app announces (apps/treatments/signals.py)."""
