"""Demo mode: a corpus of posts about a fictional French company, replayed as if "now"."""
