"""RLA 0.6's ``RLA.trackers.time_used_recorder``, over :mod:`RLA.easy_log.time_tracker`."""
from RLA.easy_log.time_tracker import SnippetTimer as SingleTimeTracker
from RLA.easy_log.time_tracker import TimeTracker, time_record, time_record_end

__all__ = ["SingleTimeTracker", "TimeTracker", "time_record", "time_record_end"]
