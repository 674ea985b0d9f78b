"""Adapters from the real card layer, face check and backend client to the flow's ports."""
