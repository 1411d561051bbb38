"""``python setup.py install`` as RLA 0.6's README said; the package metadata lives in pyproject.toml."""
from setuptools import setup

setup()
