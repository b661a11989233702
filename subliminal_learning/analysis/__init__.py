"""Statistics, tidy tables, verdicts and figures. Runs in the stats environment: imports no torch."""
