"""Version of the mme-dist wheel."""

__version__ = "0.1.0"
