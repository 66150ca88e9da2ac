"""Record-book screens (under construction in the volunteer-record issue)."""
