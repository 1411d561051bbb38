"""RLA 0.6's result records: what a loader found of one run (its parameters and folder, and its
tables or image paths)."""
from __future__ import annotations

from typing import Any, Dict, Optional

__all__ = ["Result", "CsvResult", "ImgResult"]


class Result:
    def __init__(self, hyper_param: Optional[Dict[str, Any]] = None, dirname: Optional[str] = None):
        self.hyper_param = hyper_param
        self.dirname = dirname


class CsvResult(Result):
    """``progress`` (a DataFrame of progress.csv), ``monitor`` and ``metadata`` as a loader read them."""

    def __init__(self, monitor: Any = None, progress: Any = None, dirname: Optional[str] = None,
                 metadata: Any = None, hyper_param: Optional[Dict[str, Any]] = None):
        super().__init__(hyper_param=hyper_param, dirname=dirname)
        self.monitor = monitor
        self.progress = progress
        self.metadata = metadata


class ImgResult(Result):
    def __init__(self, hyper_param: Optional[Dict[str, Any]] = None, dirname: Optional[str] = None,
                 img_path_dict: Optional[Dict[str, str]] = None):
        super().__init__(hyper_param=hyper_param, dirname=dirname)
        self.img_path_dict = img_path_dict
