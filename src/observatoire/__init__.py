"""Observatoire de la tranquillité publique: partner feeds, clean events, privacy gates, similarity."""

__version__ = "0.1.0"
