"""ERP connectors behind the ``bot.ports.VoucherPoster`` interface.

Each connector class has a ``from_settings(settings: Settings)``
constructor. ``build_poster`` imports only the configured one, so a
company that posts to files never loads an HTTP client.
"""

from __future__ import annotations

from importlib import import_module

from bot.config import Settings
from bot.ports import VoucherPoster

CONNECTORS = {
    "csv": ("connectors.csv_export", "CsvExporter"),
    "file": ("connectors.csv_export", "CsvExporter"),
    "json": ("connectors.json_export", "JsonExporter"),
    "datev": ("connectors.datev", "DatevExporter"),
    "tripletex": ("connectors.tripletex", "TripletexConnector"),
    "sap": ("connectors.sap_b1", "SapB1Connector"),
}


def build_poster(settings: Settings) -> VoucherPoster:
    """Return the connector that ``export.connector`` names, configured from ``settings``."""
    module, name = CONNECTORS[settings.export.connector]
    return getattr(import_module(module), name).from_settings(settings)
