"""estatesplan: spatial estates and co-location planning for integrated neighbourhood working.

The stage modules (``zones``, ``assets``, ``neighbourhoods``, ``cohorts``, ``export``,
``pipeline``) are plain functions over GeoDataFrames and DataFrames, usable from a
notebook; the CLI and the Streamlit app only arrange calls into them. Importing the
package does no work: no I/O, no network, no logging configuration.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("estatesplan")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

from .errors import (
    ConfigError,
    DataContractError,
    DataQualityWarning,
    DataSourceError,
    EstatesplanError,
)

logging.getLogger(__name__).addHandler(logging.NullHandler())

# Public names re-exported lazily (PEP 562), so that ``import estatesplan`` stays cheap
# and importing one stage does not import them all.
_LAZY = {
    "cohort_weights": "cohorts",
    "parse_cohort": "cohorts",
    "StudyConfig": "config",
    "load_config": "config",
    "read_study": "export",
    "write_study": "export",
    "demo_study": "pipeline",
    "load_study": "pipeline",
    "run_study": "pipeline",
    "Study": "study",
    "AccessResults": "study_access",
    "study_access": "study_access",
    "validate_assets": "validate",
    "validate_neighbourhoods": "validate",
    "validate_zones": "validate",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    msg = f"module 'estatesplan' has no attribute {name!r}"
    raise AttributeError(msg)


__all__ = [
    "AccessResults",
    "ConfigError",
    "DataContractError",
    "DataQualityWarning",
    "DataSourceError",
    "EstatesplanError",
    "Study",
    "StudyConfig",
    "__version__",
    "cohort_weights",
    "demo_study",
    "load_config",
    "load_study",
    "parse_cohort",
    "read_study",
    "run_study",
    "study_access",
    "validate_assets",
    "validate_neighbourhoods",
    "validate_zones",
    "write_study",
]
