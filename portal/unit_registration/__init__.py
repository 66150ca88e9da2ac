"""Unit registration: a new using unit applies on the web; its county or sector authority decides (issue 13)."""
