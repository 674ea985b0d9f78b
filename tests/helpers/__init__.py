"""Shared test helpers. ``tests.helpers.virtual_card`` is a pytest plugin (fixtures)."""
