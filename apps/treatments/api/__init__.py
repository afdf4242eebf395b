"""Treatments over REST, one resource per module: treatment_sites, visits."""
