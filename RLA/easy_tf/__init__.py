"""RLA 0.6's TensorFlow 1 graph helpers (``tools``, ``saver_tools``): replaced, see :mod:`RLA.replaced`."""
