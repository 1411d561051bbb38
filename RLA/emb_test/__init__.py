"""RLA 0.6's embedded unit tests in training code: replaced."""
from RLA.replaced import replaced

__all__ = ["EmbUnitController"]

EmbUnitController = replaced(
    "RLA.emb_test.EmbUnitController",
    "check invariants with plain assertions or a pytest suite; log what you watch with logger.record_tabular")
