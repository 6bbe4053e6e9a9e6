"""Version of the mme-registry wheel."""

__version__ = "0.1.0"
