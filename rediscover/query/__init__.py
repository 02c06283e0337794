"""The filter model, keyword syntax, per-backend compilers, ranking and result rows."""
