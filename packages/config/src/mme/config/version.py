"""Version of the mme-config wheel."""

__version__ = "0.1.0"
