"""Running ExoTrack on one machine: `make run` (the whole system, embedded defaults) and the
service checks of `make test`. Plain Python, never imported by the Django project."""
