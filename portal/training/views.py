"""Training screens (under construction in the training issue)."""
