"""Document screens and the public verification page (under construction in the certificates issue)."""
