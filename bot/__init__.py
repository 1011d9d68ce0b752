"""Pulse: take the pulse of X for executives, inside Microsoft Teams."""
