"""The parts of :mod:`RLA.db.remote`: where the remote is (endpoint), the two sides of a sync,
the local record of what a remote holds (manifest) and the plan of one item's sync."""
