"""Reads of follow-ups, by area (one module each), filtered by what the reader may see."""
