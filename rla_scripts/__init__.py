"""Thin command-line shells over RLA.db.ops."""
