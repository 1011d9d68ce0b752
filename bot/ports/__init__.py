"""Protocols between the layers: what the services need, whatever implements it."""
