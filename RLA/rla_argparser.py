"""RLA 0.6's argparse helpers, over :mod:`RLA.integrations.params`."""
from RLA.integrations.params import arg_parser_postprocess, boolean_flag

__all__ = ["arg_parser_postprocess", "boolean_flag"]
