"""RLA 0.6's path of the time tracker, over :mod:`RLA.easy_log.time_tracker`."""
from RLA.easy_log.time_tracker import TimeTracker, time_record, time_record_end, time_tracker

__all__ = ["TimeTracker", "time_record", "time_record_end", "time_tracker"]
