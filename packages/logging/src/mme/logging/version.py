"""Version of the mme-logging wheel."""

__version__ = "0.1.0"
