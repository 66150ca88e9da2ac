"""Service-hour screens (under construction in the hours issue)."""
