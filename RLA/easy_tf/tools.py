"""RLA 0.6's ``run_with_metadata`` (TF1 session run metadata): replaced."""
from RLA.replaced import replaced

__all__ = ["run_with_metadata"]

run_with_metadata = replaced(
    "RLA.easy_tf.tools.run_with_metadata",
    "TensorFlow 1 sessions are not supported; profile with tf.profiler or torch.profiler, "
    "and time spans with logger.open_time_tracker(name)")
