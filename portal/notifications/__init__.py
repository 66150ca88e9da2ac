"""Notifications: the in-app inbox, e-mail and SMS through an outbox sent by background jobs (issue 13)."""
