"""Honor-card screens (under construction in the honor-card issue)."""
