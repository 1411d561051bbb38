"""RLA 0.6's torch helpers (``save_tools``)."""
