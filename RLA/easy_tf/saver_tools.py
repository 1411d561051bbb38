"""RLA 0.6's TF1 saver helpers: replaced by the run's own savers."""
from RLA.replaced import replaced

__all__ = ["load_tester_from_record_date", "new_saver", "save_checkpoint", "load_checkpoint"]

_SAVERS = ("use exp_manager.new_saver(var_prefix=..., max_to_keep=...), exp_manager.save_checkpoint() and "
           "exp_manager.load_checkpoint() (TF1 variables by prefix, TF2 and torch alike)")
new_saver = replaced("RLA.easy_tf.saver_tools.new_saver", _SAVERS)
save_checkpoint = replaced("RLA.easy_tf.saver_tools.save_checkpoint", _SAVERS)
load_checkpoint = replaced("RLA.easy_tf.saver_tools.load_checkpoint", _SAVERS)
load_tester_from_record_date = replaced(
    "RLA.easy_tf.saver_tools.load_tester_from_record_date",
    "use RLA.easy_log.exp_loader.exp_loader.load_from_record_date() with LOAD_RECORD_DATE in the config")
