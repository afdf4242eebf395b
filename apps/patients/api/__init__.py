"""Patients and their medications over REST (patients; examples for the schema)."""
