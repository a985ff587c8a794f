"""Exceptions and warnings raised by estatesplan.

One base class, :class:`EstatesplanError`; each specific error also inherits the
matching builtin, so callers can catch either (``except ValueError`` still works).
Messages say what is wrong, where (file, column, row ids) and what to do.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "CrsError",
    "DataContractError",
    "DataQualityWarning",
    "DataSourceError",
    "DuplicateIdError",
    "EstatesplanError",
    "EstatesplanWarning",
    "GeometryError",
    "InfeasibleError",
    "MissingColumnError",
    "NetworkBuildError",
    "OptionalDependencyError",
    "SyntheticDataWarning",
]


class EstatesplanError(Exception):
    """Base class of every error raised by estatesplan."""


class ConfigError(ValueError, EstatesplanError):
    """A study configuration (TOML) has unknown keys or bad values; all are listed."""


class DataSourceError(OSError, EstatesplanError):
    """An input file is missing, empty, unreadable or not in the expected format."""


class DataContractError(ValueError, EstatesplanError):
    """An input frame breaks the data contract; every problem found is listed."""


class MissingColumnError(DataContractError):
    """A required column is missing."""


class DuplicateIdError(DataContractError):
    """Ids that must be unique are repeated."""


class CrsError(DataContractError):
    """A layer has no coordinate reference system, or one that cannot be used."""


class GeometryError(DataContractError):
    """Geometries are missing, empty, invalid or of the wrong type."""


class NetworkBuildError(RuntimeError, EstatesplanError):
    """A street network could not be built (empty, disconnected or corrupt extract)."""


class InfeasibleError(RuntimeError, EstatesplanError):
    """An optimisation problem cannot meet its constraints."""


class OptionalDependencyError(ImportError, EstatesplanError):
    """An optional extra is needed for this feature and is not installed."""


class EstatesplanWarning(UserWarning):
    """Base class of every warning issued by estatesplan."""


class DataQualityWarning(EstatesplanWarning):
    """Input data has gaps or oddities that the caller should know about."""


class SyntheticDataWarning(EstatesplanWarning):
    """Results are computed on synthetic (demo) data."""
