"""carrot: a self-hosted promotion engine that speaks the Talon.One API."""

__version__ = "0.1.0"
