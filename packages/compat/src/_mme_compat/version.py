"""Version of the mme-compat wheel (``mmengine.__version__`` is the MMEngine API version it provides)."""

__version__ = "0.1.0"
