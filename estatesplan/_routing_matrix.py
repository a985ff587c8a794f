"""The travel-time matrix type and its Parquet format (re-exported by :mod:`estatesplan.travel_times`).

A :class:`TravelTimeMatrix` is minutes as float32 with the id orders of both sides;
:meth:`TravelTimeMatrix.save` writes the long table of reachable pairs as Parquet
with everything needed to restore the matrix exactly in the schema metadata (JSON,
never pickles), and :meth:`TravelTimeMatrix.load` reads it back, refusing anything
damaged or foreign with a :class:`~estatesplan.errors.DataSourceError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._io import atomic_path, check_input_file
from .errors import DataSourceError

if TYPE_CHECKING:
    import os

__all__ = ["TravelTimeMatrix"]

_META_KEY: Final = b"estatesplan:travel_time_matrix"
_FORMAT: Final = 1

_IArr = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class TravelTimeMatrix:
    """Travel times from every origin to every destination for one mode.

    Attributes
    ----------
    mode
        ``"walk"``, ``"cycle"`` or ``"drive"`` (the network's mode).
    origin_ids, destination_ids
        Ids (str, object arrays) in row and column order.
    minutes
        ``(n_origins, n_destinations)`` float32 travel times in minutes; NaN where
        the time exceeds ``cutoff_min``, the pair is unreachable, or a point was
        flagged by snapping.
    cutoff_min
        The cut-off in minutes.
    metadata
        ``digest`` (SHA-256 of the points, settings and a network fingerprint), ``settings``,
        ``network`` (the network's build report), ``flagged_origins`` and
        ``flagged_destinations`` (ids), ``search`` (direction, counts, seconds).
    """

    mode: str
    origin_ids: npt.NDArray[np.object_]
    destination_ids: npt.NDArray[np.object_]
    minutes: npt.NDArray[np.float32]
    cutoff_min: float
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_long(self) -> pd.DataFrame:
        """Return the reachable pairs as a long table.

        Returns
        -------
        pandas.DataFrame
            Columns ``origin_id``, ``destination_id`` (str) and ``minutes``
            (float32), one row per reachable pair, origins then destinations in
            matrix order; a 0..n-1 RangeIndex.
        """
        i, j = np.nonzero(np.isfinite(self.minutes))
        return pd.DataFrame(
            {
                "origin_id": pd.Series(self.origin_ids[i], dtype="str"),
                "destination_id": pd.Series(self.destination_ids[j], dtype="str"),
                "minutes": self.minutes[i, j],
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """Return the matrix as a wide table.

        Returns
        -------
        pandas.DataFrame
            Index ``origin_id``, one float32 column per destination id, minutes
            (NaN beyond the cut-off or unreachable).
        """
        return pd.DataFrame(
            self.minutes,
            index=pd.Index(self.origin_ids, name="origin_id", dtype="str"),
            columns=pd.Index(self.destination_ids, name="destination_id", dtype="str"),
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the matrix as Parquet, atomically.

        The file is the long table of :meth:`to_long` (``origin_id`` and
        ``destination_id`` dictionary-encoded, so pandas reads them as categoricals);
        the id orders, mode, cut-off and metadata travel in the Parquet schema
        metadata, so :meth:`load` restores the matrix exactly.

        Parameters
        ----------
        path
            Target file (``.parquet``).

        Returns
        -------
        Path
            ``path``.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        i, j = np.nonzero(np.isfinite(self.minutes))
        header = {
            "format": _FORMAT,
            "mode": self.mode,
            "cutoff_min": float(self.cutoff_min),
            "origin_ids": [str(x) for x in self.origin_ids],
            "destination_ids": [str(x) for x in self.destination_ids],
            "metadata": self.metadata,
        }
        table = pa.table(
            {
                "origin_id": pa.DictionaryArray.from_arrays(
                    pa.array(i.astype(np.int32)), pa.array(header["origin_ids"], pa.string())
                ),
                "destination_id": pa.DictionaryArray.from_arrays(
                    pa.array(j.astype(np.int32)), pa.array(header["destination_ids"], pa.string())
                ),
                "minutes": pa.array(self.minutes[i, j], pa.float32()),
            }
        )
        text = json.dumps(header, default=_json_default, allow_nan=True)
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), _META_KEY: text.encode()}
        )
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp, compression="zstd")
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TravelTimeMatrix:
        """Read a matrix written by :meth:`save`.

        Parameters
        ----------
        path
            The Parquet file.

        Returns
        -------
        TravelTimeMatrix
            Equal, value for value, to the one saved.

        Raises
        ------
        DataSourceError
            If the file is missing, empty, not Parquet, or not a travel-time matrix
            written by estatesplan (or is damaged).
        """
        import pyarrow.parquet as pq

        p = check_input_file(path, what="travel-time matrix")
        try:
            table = pq.read_table(p)
        except Exception as err:
            msg = f"{p}: cannot read as Parquet ({err}); rebuild the matrix"
            raise DataSourceError(msg) from err
        raw = (table.schema.metadata or {}).get(_META_KEY)
        if raw is None:
            msg = f"{p}: not an estatesplan travel-time matrix (no '{_META_KEY.decode()}' metadata); write it with TravelTimeMatrix.save"
            raise DataSourceError(msg)
        try:
            header = json.loads(raw)
            if header.get("format") != _FORMAT:
                msg = f"unknown format {header.get('format')!r}"
                raise ValueError(msg)
            origin_ids = np.array([str(x) for x in header["origin_ids"]], dtype=object)
            destination_ids = np.array([str(x) for x in header["destination_ids"]], dtype=object)
            i = _codes(table.column("origin_id"), origin_ids)
            j = _codes(table.column("destination_id"), destination_ids)
            values = table.column("minutes").to_numpy().astype(np.float32)
            if (i < 0).any() or (j < 0).any():
                msg = "pairs name ids missing from the stored id orders"
                raise ValueError(msg)
            if not (np.isfinite(values).all() and (values >= 0).all()):
                msg = "minutes must be finite and non-negative"
                raise ValueError(msg)
            minutes = np.full((len(origin_ids), len(destination_ids)), np.nan, dtype=np.float32)
            minutes[i, j] = values
            return cls(
                mode=str(header["mode"]),
                origin_ids=origin_ids,
                destination_ids=destination_ids,
                minutes=minutes,
                cutoff_min=float(header["cutoff_min"]),
                metadata=dict(header.get("metadata") or {}),
            )
        except (ValueError, KeyError, TypeError, IndexError) as err:
            msg = f"{p}: damaged travel-time matrix ({err}); rebuild it"
            raise DataSourceError(msg) from err


def _codes(column: Any, ids: npt.NDArray[np.object_]) -> _IArr:
    """Return, per row of an Arrow column of ids, the position of the id in ``ids`` (-1 if absent)."""
    import pyarrow as pa

    index = pd.Index(ids, dtype="str")
    parts = []
    for chunk in column.chunks:
        if pa.types.is_dictionary(chunk.type):
            lookup = index.get_indexer(pd.Index(chunk.dictionary.to_pylist(), dtype="str"))
            codes = chunk.indices.to_numpy(zero_copy_only=False)
            if chunk.null_count:
                msg = "ids must not be null"
                raise ValueError(msg)
            parts.append(lookup[codes.astype(np.int64)])
        else:
            parts.append(index.get_indexer(pd.Index(chunk.to_pylist(), dtype="str")))
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
