"""Bridges to the tools RL researchers already run.

Each module imports its third-party library (stable-baselines3, gymnasium,
omegaconf) only when it is itself imported, so ``import RLA`` stays light:

- :mod:`RLA.integrations.params`: hyper-parameters from argparse, dataclasses,
  dicts and OmegaConf/Hydra configs; the resume flags of ``arg_parser_postprocess``.
- :mod:`RLA.integrations.sb3`: stable-baselines3 logger, checkpoints and videos.
- :mod:`RLA.integrations.gym`: episode return/length logging for custom loops.
- :mod:`RLA.integrations.init_project`: ``rla init``.
"""
