"""Version of the mme-fileio wheel."""

__version__ = "0.1.0"
