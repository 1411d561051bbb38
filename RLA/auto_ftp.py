"""RLA 0.6's FTP/SFTP upload of a run: replaced by ``rla sync`` (SFTP with host-key checks)."""
from RLA.replaced import replaced

__all__ = ["ftp_factory", "FTPHandler", "SFTPHandler"]

_SYNC = ("set REMOTE_SETTING and SEND_LOG_FILE: true in rla_config.yaml and call exp_manager.sync_log_file(), "
         "or run `rla sync push` (README: Many machines, one database)")
ftp_factory = replaced("RLA.auto_ftp.ftp_factory", _SYNC)
FTPHandler = replaced("RLA.auto_ftp.FTPHandler", _SYNC)
SFTPHandler = replaced("RLA.auto_ftp.SFTPHandler", _SYNC)
