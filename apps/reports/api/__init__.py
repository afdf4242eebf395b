"""Reports over REST: the CSV exports (exports)."""
