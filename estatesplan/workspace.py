"""A loaded study with what interactive work on it needs: its config and street networks.

The map app and notebooks re-rank options, apply scenarios, run the optimiser and draw
isochrones on a study already computed. Those need the study's config (settings,
cohorts, the street network's extract) besides the tables; :class:`Workspace` keeps
them together and builds each street network once, on first use.

A study read back from an output folder finds its config through the path recorded in
``manifest.json`` (``config_path``); when that file is gone or has changed since the
run (its digest differs), the workspace has no config and says why in
:attr:`Workspace.config_note`: the tables and maps still work, the recomputing tools
do not.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError, EstatesplanError

if TYPE_CHECKING:
    from ._access_network import StudyNetworks
    from .config import StudyConfig
    from .graph import StreetNetwork
    from .progress import Progress
    from .study import Study

__all__ = ["Workspace", "load_workspace"]

logger = logging.getLogger(__name__)


@dataclass
class Workspace:
    """A study, the config that produced it (when known) and its street networks.

    Parameters
    ----------
    source
        What it was loaded from: "demo", a config path or an output folder.
    study
        The study (shared: callers must not modify it).
    config
        The study config, or None when unknown (see ``config_note``).
    config_note
        Why there is no config ("" when there is one).
    """

    source: str
    study: Study
    config: StudyConfig | None = None
    config_note: str = ""
    _networks: StudyNetworks | None = field(default=None, repr=False)

    @property
    def has_config(self) -> bool:
        """True when the config is known (scenarios, optimiser and isochrones work)."""
        return self.config is not None

    def require_config(self, what: str) -> StudyConfig:
        """Return the config, or raise a clear error naming ``what`` needs it.

        Raises
        ------
        ConfigError
            When the workspace has no config.
        """
        if self.config is None:
            msg = (
                f"{what} needs the study's config, which is not available: "
                f"{self.config_note or 'the study was not loaded from a config'}. "
                "Open the study from its .toml (or re-run `estatesplan run CONFIG --out DIR`)."
            )
            raise ConfigError(msg)
        return self.config

    def network_modes(self) -> list[str]:
        """Routed modes (walk, cycle, drive) whose street network can be built."""
        if self.config is None:
            return []
        return self._nets().modes()

    def network(self, mode: str) -> StreetNetwork:
        """The street network of ``mode``, built from the config's extract on first use.

        Raises
        ------
        ConfigError
            When there is no config, it names no street network, or ``mode`` is not
            one of its routed modes.
        """
        cfg = self.require_config(f"the {mode} street network")
        nets = self._nets()
        if mode not in nets.modes():
            msg = (
                f"no {mode} street network in {cfg.name}: the config's [network] osm is "
                f"{cfg.network.osm or 'not set'} and its routed modes are "
                f"{', '.join(nets.modes()) or 'none'}."
            )
            raise ConfigError(msg)
        t0 = time.perf_counter()
        net = nets(mode)
        logger.info("%s network ready in %.2f s", mode, time.perf_counter() - t0)
        return net

    def networks(self) -> StudyNetworks:
        """The study's street networks and timetable, each built on first use and kept.

        Raises
        ------
        ConfigError
            When the workspace has no config.
        """
        self.require_config("street networks")
        return self._nets()

    def _nets(self) -> StudyNetworks:
        from ._access_network import StudyNetworks

        assert self.config is not None
        if self._networks is None:
            self._networks = StudyNetworks(self.config)
        return self._networks


def _config_for(study: Study) -> tuple[StudyConfig | None, str]:
    """The config recorded for ``study`` when it still matches, else why not."""
    from .config import load_config

    if not study.config_path:
        return None, "the study's outputs do not record its config file"
    path = Path(study.config_path)
    if not path.is_file():
        return None, f"its config {path} no longer exists"
    try:
        cfg = load_config(path)
    except EstatesplanError as err:
        return None, f"its config {path} cannot be read ({err})"
    if study.config_digest and cfg.digest() != study.config_digest:
        return None, f"its config {path} has changed since the outputs were written"
    return cfg, ""


def load_workspace(
    source: str | os.PathLike[str], *, progress: Progress | None = None
) -> Workspace:
    """Load a study as :func:`estatesplan.pipeline.load_study` does, with its config.

    Parameters
    ----------
    source
        "demo" (or "demo:SEED"), a study config (.toml) or an output folder.
    progress
        Optional progress callback for the pipeline's stages.

    Returns
    -------
    Workspace
        The study, its config when known (with ``config_note`` saying why not) and
        lazily built street networks.

    Raises
    ------
    EstatesplanError
        As :func:`~estatesplan.pipeline.load_study`.
    """
    from .pipeline import load_study

    t0 = time.perf_counter()
    study = load_study(source, progress=progress)
    cfg, note = _config_for(study)
    logger.info(
        "workspace %s: %s, config %s in %.2f s",
        source,
        study.name,
        "found" if cfg is not None else f"unavailable ({note})",
        time.perf_counter() - t0,
    )
    return Workspace(source=str(source), study=study, config=cfg, config_note=note)
