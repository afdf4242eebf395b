"""Manufacturers, products, lots and the stock ledger over REST, one resource per module.
Writes go through the inventory services; a service's refusal becomes a 400 naming the
field (exotrack.api.errors)."""
