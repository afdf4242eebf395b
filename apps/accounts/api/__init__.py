"""The signed-in staff member over REST (`me`)."""
