"""Version of the mme-visual wheel."""

__version__ = "0.1.0"
