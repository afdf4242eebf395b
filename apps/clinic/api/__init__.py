"""The clinic's locations and the public parts of its profile over REST (read only)."""
