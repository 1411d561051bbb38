"""Logging side of RLA: the experiment manager, the logger and the time-step."""
