"""The test suite: a package, so each module has one name (``tests.<area>.<module>``)."""
