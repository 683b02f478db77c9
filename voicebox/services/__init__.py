"""Use cases: each function validates, acts, and owns its transaction."""
