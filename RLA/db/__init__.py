"""The RLA database: layout, queries and operations on items.

Only this package knows where an item's files live; everything else asks it.
"""
from RLA.db.layout import (
    ARCHIVE_DIR,
    DATA_TYPES,
    Database,
    Item,
    ItemName,
    LayoutError,
    format_log_name,
    parse_log_name,
)

__all__ = [
    "ARCHIVE_DIR",
    "DATA_TYPES",
    "Database",
    "Item",
    "ItemName",
    "LayoutError",
    "format_log_name",
    "parse_log_name",
]
