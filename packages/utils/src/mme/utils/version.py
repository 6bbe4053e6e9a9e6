"""Version of the mme-utils wheel."""

__version__ = "0.1.0"
