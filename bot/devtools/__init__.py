"""Local stand-ins for Teams used by `make chat` and the tests (never in production)."""
