"""Pure domain: no I/O, standard library and small pure libraries only."""
