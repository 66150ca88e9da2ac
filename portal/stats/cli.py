"""`flask stats ...`: the dashboards' numbers for scripts and checks."""
