"""Use cases: ask, draft, approve, brief, alert."""
