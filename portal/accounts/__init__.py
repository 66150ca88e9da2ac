"""Self-service accounts: activation by volunteers a unit registered, password recovery (issue 13)."""
