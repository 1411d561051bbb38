"""RLA 0.6's trackers package: time (:mod:`RLA.trackers.time_used_recorder`) and memory."""
