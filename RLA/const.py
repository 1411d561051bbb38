"""RLA 0.6's global constants (``from RLA.const import *``), over :mod:`RLA.db.layout` and :mod:`RLA.config`."""
from RLA.db.layout import TIME_STEP_COLUMN as DEFAULT_X_NAME

DEFAULT_TIMESTAMP = "timestamp"


class FRAMEWORK:
    tensorflow = "tensorflow"
    torch = "torch"


class LOG_NAME_FORMAT_VERSION:
    V1 = "v1"


class PLATFORM_TYPE:
    WIN = "win"
    LINUX = "linux"
    OTHER = "other"


__all__ = ["DEFAULT_X_NAME", "DEFAULT_TIMESTAMP", "FRAMEWORK", "LOG_NAME_FORMAT_VERSION", "PLATFORM_TYPE"]
