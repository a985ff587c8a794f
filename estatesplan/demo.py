"""The embedded demo: a fictitious English borough generated deterministically from a seed.

"Demoborough (synthetic)" is an irregular area of about 8 km × 7 km in EPSG:27700, placed
inland in England. It has LSOA-like population zones with every contract column, an
estate register of about 80 public buildings of every owner type, an OpenStreetMap-style
street network and a bus timetable (GTFS). Nothing in it is real: every frame carries a
``synthetic`` column and ``attrs["synthetic"] = True``, and every name says so or is
obviously invented. The same seed always gives identical frames and byte-identical
files; only ``numpy.random.default_rng(seed)`` is used.

Examples
--------
>>> study = generate_demo(seed=1)
>>> bool(study.zones["synthetic"].all()), study.zones.crs.to_epsg()
(True, 27700)
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from scipy.special import ndtr
from shapely.geometry import Polygon

from . import contracts as c
from ._demo_gtfs import build_gtfs, write_gtfs_zip
from ._demo_network import DemoStreets, build_streets, district_name, node_street_names, write_pbf
from ._io import atomic_path, write_text_atomic

__all__ = ["DEMO_NAME", "DemoStudy", "demo_toml", "generate_demo", "write_demo"]

logger = logging.getLogger(__name__)

DEMO_NAME: Final = "Demoborough (synthetic)"
"""Name of the demo study, shown in every view and export."""

_CENTRE: Final = (450_000.0, 300_000.0)
_SIZE_M: Final = (8000.0, 7000.0)
_N_LSOA_ENGLAND: Final = 33_755  # LSOA 2021 ranked in the English Indices of Deprivation 2025
_GPKG_DATE: Final = "2026-01-01T00:00:00.000Z"
_SOURCE: Final = "estatesplan demo generator (synthetic)"

# England, Census 2021, share of usual residents by 5-year band (TS007A), rounded
_AGE_BASE: Final = np.array(
    [5.4, 5.9, 6.0, 5.6, 6.0, 6.6, 6.9, 6.7, 6.3, 6.4, 6.9, 6.7, 5.9, 5.0, 5.0, 3.6, 2.4, 2.4]
)
# log-tilt of each band towards the town centre (young adults) and towards deprivation
_AGE_CENTRAL: Final = np.array(
    [0.1, 0, -0.1, -0.1, 0.5, 0.6, 0.5, 0.3, 0.1, 0, -0.1, -0.2, -0.3, -0.5, -0.6, -0.6, -0.6, -0.6]
)
_AGE_DEPRIVED: Final = np.array(
    [0.25, 0.25, 0.2, 0.15, 0.1, 0.05, 0, 0, 0, 0, -0.05, -0.1, -0.15, -0.2, -0.2, -0.2, -0.2, -0.2]
)
_OLD_BANDS: Final = slice(13, 18)  # 65 and over
# Census 2021 England general health, cumulative shares very good .. bad (TS037)
_HEALTH_CUM: Final = np.array([0.485, 0.822, 0.949, 0.988])
# IMD 2025 score at national quantiles of rank (0 = most deprived), approximate
_IMD_Q: Final = np.array([0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0])
_IMD_SCORE: Final = np.array([92.0, 34.2, 27.0, 21.5, 15.5, 10.5, 6.2, 0.5])

# asset_type, owner_type, count, placement, GIA range m², kWh/m² electricity and gas,
# running cost £/m², name patterns, owner
_AssetSpec = tuple[str, str, int, str, float, float, float, float, float, tuple[str, ...], str]
_ASSET_SPECS: Final[tuple[_AssetSpec, ...]] = (
    ("gp_practice", "icb_primary_care", 12, "pop", 350, 1200, 70, 190, 150,
     ("{street} Surgery", "{district} Medical Practice", "{street} Medical Centre"),
     "{name} partners"),
    ("health_centre", "nhs_trust", 3, "pop", 1500, 4500, 75, 200, 170,
     ("{district} Health Centre", "{street} Health Centre"),
     "Demoborough Community Health NHS Trust"),
    ("hospital", "nhs_trust", 1, "centre", 45000, 70000, 100, 420, 350,
     ("Demoborough General Hospital",), "Demoborough Hospitals NHS Foundation Trust"),
    ("hospital", "nhs_trust", 1, "suburb", 5000, 9000, 90, 380, 280,
     ("{district} Community Hospital",), "Demoborough Community Health NHS Trust"),
    ("clinic", "nhs_trust", 3, "pop", 400, 1500, 70, 190, 160,
     ("{district} Wellbeing Clinic", "{street} Clinic"), "Demoshire Mental Health NHS Trust"),
    ("nhs_office", "icb_primary_care", 1, "centre", 1500, 3000, 95, 120, 120,
     ("NHS Demoshire ICB Borough Office",), "NHS Demoshire ICB"),
    ("pharmacy", "other", 8, "centre", 80, 250, 165, 40, 150,
     ("{street} Pharmacy", "{district} Pharmacy"), "Demo Pharmacy Ltd"),
    ("dental", "other", 5, "pop", 150, 400, 70, 150, 140,
     ("{street} Dental Practice", "{district} Dental Care"), "Demo Dental Care LLP"),
    ("care_home", "local_authority", 2, "suburb", 1500, 3500, 65, 300, 180,
     ("{district} Court Care Home", "{street} House"), "Demoborough Council"),
    ("care_home", "other", 2, "suburb", 1500, 3500, 65, 300, 180,
     ("{street} Nursing Home", "{district} Lodge Care Home"), "Demo Care Homes Ltd"),
    ("council_office", "local_authority", 2, "centre", 3000, 8000, 95, 120, 110,
     ("Demoborough Civic Offices", "{district} Council Offices"), "Demoborough Council"),
    ("town_hall", "local_authority", 1, "town_hall", 4000, 7000, 95, 150, 130,
     ("Demoborough Town Hall",), "Demoborough Council"),
    ("library", "local_authority", 4, "pop", 400, 2000, 70, 200, 90,
     ("{district} Library", "{street} Library"), "Demoborough Council"),
    ("school", "education", 7, "pop", 1500, 3000, 40, 150, 60,
     ("{district} Primary School", "{street} Primary School"), "Demoborough Learning Trust"),
    ("school", "education", 3, "even", 8000, 12000, 40, 150, 60,
     ("{district} Academy", "{street} Academy"), "Demoborough Learning Trust"),
    ("college", "education", 1, "centre", 10000, 20000, 80, 240, 75,
     ("Demoborough College",), "Demoborough College Corporation"),
    ("community_centre", "local_authority", 3, "pop", 200, 900, 20, 105, 45,
     ("{district} Community Centre", "{street} Community Centre"), "Demoborough Council"),
    ("community_centre", "vcse", 2, "deprived", 200, 900, 20, 105, 45,
     ("{street} Community Hall", "{district} Neighbourhood Hall"), "Demoborough Community Trust"),
    ("social_facility", "vcse", 4, "deprived", 150, 600, 20, 105, 50,
     ("{district} Advice and Food Bank Centre", "{street} Day Centre"), "Demo Voluntary Action"),
    ("place_of_worship", "faith", 8, "pop", 200, 1200, 15, 90, 25,
     ("St Mark's Church", "St Anne's Catholic Church", "Demoborough Baptist Church",
      "Demoborough Central Mosque", "Demoborough Gurdwara", "Demoborough Methodist Church",
      "Demoborough Synagogue", "Demoborough Hindu Temple"), "{name}"),
    ("housing_estate", "housing", 5, "deprived", 80, 300, 20, 105, 35,
     ("{street} Estate Community Room", "{district} Estate Tenants' Hall"), "Demoborough Homes"),
    ("leisure_centre", "local_authority", 2, "pop", 3000, 7000, 150, 600, 160,
     ("{district} Leisure Centre", "{street} Pool and Gym"), "Demoborough Council"),
    ("other", "other", 1, "even", 800, 1500, 70, 390, 90,
     ("{district} Fire Station",), "Demoshire Fire and Rescue Authority"),
)  # fmt: skip
_CONDITION_P: Final = (0.1, 0.45, 0.35, 0.1)
_BACKLOG_GBP_M2: Final = ((0.0, 15.0), (20.0, 90.0), (120.0, 320.0), (350.0, 750.0))
_TENURE_P: Final[dict[str, dict[str, float]]] = {
    "nhs_trust": {"freehold": 0.6, "leasehold": 0.25, "pfi": 0.15},
    "icb_primary_care": {"leasehold": 0.55, "freehold": 0.35, "licence": 0.1},
    "local_authority": {"freehold": 0.85, "leasehold": 0.15},
    "vcse": {"leasehold": 0.5, "licence": 0.35, "freehold": 0.15},
    "education": {"freehold": 0.7, "leasehold": 0.2, "pfi": 0.1},
    "faith": {"freehold": 1.0},
    "housing": {"freehold": 1.0},
    "other": {"leasehold": 0.7, "freehold": 0.3},
}
_POSTCODE_LETTERS: Final = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass(frozen=True, eq=False)
class DemoStudy:
    """The generated demo borough: every input a study needs, all synthetic.

    Parameters
    ----------
    zones
        Population zones (polygons, EPSG:27700) tiling ``area``, with every zone
        contract column (``zone_id``, ``name``, ``population``, age bands, IMD,
        households, disability, health) and ``synthetic``. Index 0..n-1.
    assets
        Asset register (points, EPSG:27700) with the asset contract columns,
        provenance columns and ``synthetic``. ``available_m2`` is NaN and ``tenure``
        and ``step_free`` missing for a few assets (unknown, not zero).
    area
        One row: the borough outline (``area_id``, ``name``, ``synthetic``).
    streets
        Street network (nodes and OSM-tagged ways), written as ``streets.osm.pbf``.
    gtfs
        Bus timetable tables by GTFS file name (without ``.txt``).
    seed
        The seed everything was generated from.
    name
        ``"Demoborough (synthetic)"``.
    """

    zones: gpd.GeoDataFrame
    assets: gpd.GeoDataFrame
    area: gpd.GeoDataFrame
    streets: DemoStreets
    gtfs: dict[str, pd.DataFrame]
    seed: int
    name: str = DEMO_NAME


def _outline(rng: np.random.Generator) -> Polygon:
    """An irregular star-shaped outline of about 8 km × 7 km around the demo centre."""
    theta = np.linspace(0.0, 2 * math.pi, 120, endpoint=False)
    r = np.ones_like(theta)
    for k in range(2, 7):
        r += rng.uniform(0.03, 0.11) / math.sqrt(k - 1) * np.cos(k * theta + rng.uniform(0, 6.3))
    r += np.convolve(np.pad(rng.normal(0, 0.02, theta.size), 2, mode="wrap"), np.ones(3) / 3)[3:-3]
    pts = np.column_stack([r * np.cos(theta), r * np.sin(theta)])
    pts = (pts - pts.min(axis=0)) / np.ptp(pts, axis=0) - 0.5
    pts = np.asarray(_CENTRE) + pts * np.asarray(_SIZE_M)
    return Polygon(np.round(pts, 1))


def _density(xy: np.ndarray, streets: DemoStreets) -> np.ndarray:
    """Relative residential density: high in the town centre and along the primary roads."""
    a = streets.grid_angle
    d = xy - np.asarray(streets.centre)
    u = d[:, 0] * math.cos(a) + d[:, 1] * math.sin(a)
    v = -d[:, 0] * math.sin(a) + d[:, 1] * math.cos(a)
    r2 = u**2 + v**2
    main = np.minimum(np.abs(u), np.abs(v))
    dens: np.ndarray = 1.0 + 4.0 * np.exp(-r2 / (2 * 1300.0**2))
    dens += 1.5 * np.exp(-(main**2) / (2 * 250.0**2))
    return dens


def _zone_seeds(
    outline: Polygon, streets: DemoStreets, n: int, rng: np.random.Generator
) -> np.ndarray:
    """``n`` well-spread points, closer together where density is higher (dart throwing)."""
    x0, y0, x1, y1 = outline.bounds
    pts = np.column_stack([rng.uniform(x0, x1, 60 * n), rng.uniform(y0, y1, 60 * n)])
    pts = pts[shapely.contains_xy(outline, pts[:, 0], pts[:, 1])]
    dens = _density(pts, streets)
    area_mean = dens.mean()
    keep = rng.random(len(pts)) < dens / dens.max()
    perm = rng.permutation(int(keep.sum()))
    pts, rel = pts[keep][perm], dens[keep][perm] / area_mean
    radius0 = math.sqrt(outline.area / n)
    for shrink in np.geomspace(1.4, 0.3, 40):
        radius = shrink * radius0 / np.sqrt(rel)
        free = np.ones(len(pts), dtype=bool)
        chosen: list[int] = []
        while len(chosen) < n and free.any():
            k = int(np.argmax(free))
            chosen.append(k)
            free &= np.hypot(*(pts - pts[k]).T) >= np.maximum(radius, radius[k])
        if len(chosen) == n:
            seeds: np.ndarray = pts[chosen]
            return seeds
    msg = f"demo zones: could not place {n} zone seeds; use fewer zones"
    raise ValueError(msg)


def _tile(outline: Polygon, seeds: np.ndarray) -> np.ndarray:
    """Voronoi cells of ``seeds`` clipped to ``outline``; stray pieces go to a neighbour."""
    cells = shapely.voronoi_polygons(
        shapely.multipoints(seeds), extend_to=outline.buffer(3000.0), ordered=True
    )
    parts = shapely.intersection(np.asarray(shapely.get_parts(cells)), outline)
    pieces: list[tuple[int, Polygon]] = []
    for k, geom in enumerate(parts):
        polys = list(shapely.get_parts(geom))
        home = next((p for p in polys if p.contains(shapely.Point(seeds[k]))), None)
        if home is None:
            home = max(polys, key=lambda p: p.area)
        parts[k] = home
        pieces += [(k, p) for p in polys if p is not home]
    for k, piece in pieces:
        shared = [piece.boundary.intersection(p.boundary).length if j != k else -1.0
                  for j, p in enumerate(parts)]  # fmt: skip
        j = int(np.argmax(shared))
        parts[j] = shapely.union(parts[j], piece).buffer(0)
    return np.asarray(parts)


def _zone_names(geoms: np.ndarray, outline: Polygon) -> tuple[np.ndarray, list[str]]:
    """Order zones north-west to south-east in MSOA-like groups of about five; name them."""
    cen = shapely.get_coordinates(shapely.centroid(geoms))
    x0, _, _, y1 = outline.bounds
    cell = math.sqrt(outline.area / max(len(geoms) / 5.0, 1.0))
    row = ((y1 - cen[:, 1]) // cell).astype(int)
    col = ((cen[:, 0] - x0) // cell).astype(int)
    order = np.lexsort((cen[:, 0], -cen[:, 1], col, row))
    keys = list(zip(row[order].tolist(), col[order].tolist(), strict=True))
    groups: dict[tuple[int, int], list[int]] = {}
    for key, k in zip(keys, order.tolist(), strict=True):
        groups.setdefault(key, []).append(k)
    names: list[str] = []
    msoa = 0
    for members in groups.values():
        for chunk in np.array_split(np.arange(len(members)), math.ceil(len(members) / 6)):
            msoa += 1
            names += [f"Demoborough {msoa:03d}{chr(ord('A') + i)}" for i in range(len(chunk))]
    grouped = np.array([k for members in groups.values() for k in members])
    return grouped.astype(int), names


def _zones(
    outline: Polygon, streets: DemoStreets, n: int, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """Population zones with every contract column, spatially plausible."""
    t0 = time.perf_counter()
    geoms = _tile(outline, _zone_seeds(outline, streets, n, rng))
    order, names = _zone_names(geoms, outline)
    geoms = geoms[order]
    cen = shapely.get_coordinates(shapely.centroid(geoms))
    off = cen - np.asarray(streets.centre)
    central = np.exp(-(off**2).sum(axis=1) / (2 * 1800.0**2))

    # deprivation: an inner cluster, an outer estate, an affluent suburb, smooth and local noise
    x0, y0, x1, y1 = outline.bounds
    town = np.asarray(streets.centre)
    bearing, reach = rng.uniform(0, 2 * math.pi), rng.uniform(2000.0, 2600.0)
    outer = town + reach * np.array([math.cos(bearing), math.sin(bearing)])
    leafy = town - 2400.0 * np.array([math.cos(bearing + 0.8), math.sin(bearing + 0.8)])
    blobs = [
        (town + rng.normal(0, 600, 2), 650.0, 1.8),
        (outer, 600.0, 2.2),
        (leafy, 1100.0, -1.2),
    ]
    blobs += [(np.array([rng.uniform(x0, x1), rng.uniform(y0, y1)]), 900.0, rng.normal(0, 0.5))
              for _ in range(6)]  # fmt: skip
    latent = 0.3 * central + rng.normal(0.0, 0.25, len(cen))
    for centre, sigma, height in blobs:
        latent += height * np.exp(-((cen - centre) ** 2).sum(axis=1) / (2 * sigma**2))
    z = (latent - latent.mean()) / latent.std()
    q = ndtr(-0.95 * z - 0.15)  # national quantile of rank, 0 = most deprived
    rank = np.clip(np.ceil(q * _N_LSOA_ENGLAND), 1, _N_LSOA_ENGLAND).astype(np.int64)
    srt = np.argsort(rank, kind="stable")
    rank[srt] = np.maximum.accumulate(rank[srt] - np.arange(len(rank))) + np.arange(len(rank))
    rank = np.minimum(rank, _N_LSOA_ENGLAND)
    decile = np.ceil(rank * 10 / _N_LSOA_ENGLAND).astype(np.int64)
    score = np.round(np.interp(rank / _N_LSOA_ENGLAND, _IMD_Q, _IMD_SCORE), 3)
    dep = 1.0 - rank / _N_LSOA_ENGLAND

    pop = np.clip(
        np.round(1550 * (0.85 + 0.35 * central) * rng.lognormal(0, 0.15, len(cen))), 1000, 3000
    ).astype(np.int64)
    tilt = np.outer(central - 0.3, _AGE_CENTRAL) + np.outer(dep - 0.5, _AGE_DEPRIVED)
    probs = _AGE_BASE * np.exp(tilt)
    probs = np.array([rng.dirichlet(400 * p / p.sum()) for p in probs])
    ages = rng.multinomial(pop, probs)
    old = ages[:, _OLD_BANDS].sum(axis=1) / pop

    hh_size = np.clip(
        2.45 - 0.35 * central + 0.25 * (dep - 0.5) + rng.normal(0, 0.08, len(pop)), 1.7, 3.1
    )
    households = np.round(pop / hh_size).astype(np.int64)
    no_car_share = np.clip(
        0.05 + 0.30 * dep + 0.25 * central + rng.normal(0, 0.03, len(pop)), 0.02, 0.75
    )
    no_car = rng.binomial(households, no_car_share)
    lot = 0.02 + 0.13 * old + 0.05 * dep
    little = 0.05 + 0.14 * old + 0.03 * dep
    ltc = 0.055 + 0.05 * old
    disability = rng.multinomial(pop, np.column_stack([lot, little, ltc, 1 - lot - little - ltc]))
    shift = 1.6 * (dep - 0.45) + 5.0 * (old - 0.18)
    logit = np.log(_HEALTH_CUM / (1 - _HEALTH_CUM))
    cum = 1.0 / (1.0 + np.exp(-(logit[None, :] - shift[:, None])))
    health = rng.multinomial(
        pop, np.diff(np.column_stack([np.zeros(len(pop)), cum, np.ones(len(pop))]), axis=1)
    )

    data: dict[str, object] = {
        c.ZONE_ID: [f"DMO{k:04d}" for k in range(1, len(geoms) + 1)],
        c.ZONE_NAME: names,
        c.POPULATION: pop,
        **{band: ages[:, b] for b, band in enumerate(c.AGE_BANDS)},
        c.IMD_DECILE: decile,
        c.IMD_RANK: rank,
        c.IMD_SCORE: score,
        c.HOUSEHOLDS: households,
        c.HOUSEHOLDS_NO_CAR: no_car.astype(np.int64),
        c.DISABLED_LIMITED_LOT: disability[:, 0],
        c.DISABLED_LIMITED_LITTLE: disability[:, 1],
        c.LTC_NOT_LIMITED: disability[:, 2],
        c.DISABILITY_OR_LTC: disability[:, :3].sum(axis=1),
        c.HEALTH_VERY_GOOD: health[:, 0],
        c.HEALTH_GOOD: health[:, 1],
        c.HEALTH_FAIR: health[:, 2],
        c.HEALTH_BAD: health[:, 3],
        c.HEALTH_VERY_BAD: health[:, 4],
        c.SYNTHETIC: True,
    }
    zones = gpd.GeoDataFrame(data, geometry=list(geoms), crs=c.ANALYSIS_CRS)
    logger.info(
        "demo zones: %d zones, %d residents in %.2f s",
        len(zones),
        int(pop.sum()),
        time.perf_counter() - t0,
    )
    return zones


def _postcode(district: int, rng: np.random.Generator) -> str:
    letters = rng.choice(list(_POSTCODE_LETTERS), 2)
    return f"DM{district + 1} {int(rng.integers(1, 10))}{letters[0]}{letters[1]}"


def _assets(
    outline: Polygon,
    streets: DemoStreets,
    zones: gpd.GeoDataFrame,
    seed: int,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """About 80 public buildings of every owner type, each within ~50 m of a street node."""
    t0 = time.perf_counter()
    nodes = streets.nodes[streets.nodes["role"] == "mesh"]
    nxy = nodes[["x", "y"]].to_numpy()
    inside = shapely.contains_xy(outline.buffer(-60.0), nxy[:, 0], nxy[:, 1])
    node_ids, nxy = nodes["node_id"].to_numpy()[inside], nxy[inside]
    dens = _density(nxy, streets)
    hit = shapely.STRtree(zones.geometry.to_numpy()).query(
        shapely.points(nxy), predicate="intersects"
    )
    zone_of = np.zeros(len(nxy), dtype=int)
    zone_of[hit[0]] = hit[1]
    deprivation = (11 - zones[c.IMD_DECILE].to_numpy()[zone_of]) / 10.0
    weights = {
        "pop": dens,
        "centre": dens**2,
        "suburb": 1.0 / dens,
        "even": np.ones(len(dens)),
        "deprived": dens * deprivation**3,
    }
    street_names = node_street_names(streets)
    centre = np.asarray(streets.centre)
    free = np.ones(len(nxy), dtype=bool)
    rows: list[dict[str, object]] = []
    used_names: set[str] = set()
    for spec in _ASSET_SPECS:
        atype, otype, count, place, lo, hi, elec, gas, cost, patterns, owner = spec
        for n in range(count):
            if place == "town_hall":
                k = int(np.argmin(np.where(free, np.hypot(*(nxy - centre).T), np.inf)))
            else:
                w = weights[place] * free
                k = int(rng.choice(len(w), p=w / w.sum()))
            free[np.hypot(*(nxy - nxy[k]).T) < 150.0] = False
            district_no, district = district_name(*(nxy[k] - centre))
            streets_here = street_names.get(int(node_ids[k]), ["High Street"])
            street = streets_here[-1]
            options = [patterns[n]] if atype == "place_of_worship" else patterns
            name = next(
                (p.format(street=street, district=district) for p in options
                 if p.format(street=street, district=district) not in used_names),
                f"{options[0].format(street=street, district=district)} {n + 1}",
            )  # fmt: skip
            used_names.add(name)
            bearing, dist = rng.uniform(0, 2 * math.pi), rng.uniform(15.0, 45.0)
            gia = round(float(rng.uniform(lo, hi)), -1)
            cond = int(rng.choice(4, p=_CONDITION_P))
            tenures = _TENURE_P[otype]
            rows.append(
                {
                    c.NAME: name,
                    c.OWNER: owner.format(name=name),
                    c.OWNER_TYPE: otype,
                    c.ASSET_TYPE: atype,
                    c.GIA_M2: gia,
                    c.CONDITION: c.CONDITIONS[cond],
                    c.BACKLOG_GBP: round(gia * rng.uniform(*_BACKLOG_GBP_M2[cond]), -2),
                    c.RUNNING_COST_GBP: round(gia * cost * rng.lognormal(0, 0.15), -2),
                    c.ELECTRICITY_KWH: round(gia * elec * rng.lognormal(0, 0.2)),
                    c.GAS_KWH: round(gia * gas * rng.lognormal(0, 0.2)),
                    c.TENURE: str(rng.choice(list(tenures), p=list(tenures.values()))),
                    c.AVAILABLE_M2: (
                        0.0 if rng.random() < 0.35 else round(gia * rng.uniform(0.02, 0.3), -1)
                    ),
                    c.STEP_FREE: bool(rng.random() < 0.8),
                    c.ODS_CODE: None,
                    c.POSTCODE: _postcode(district_no, rng),
                    "x": nxy[k, 0] + dist * math.cos(bearing),
                    "y": nxy[k, 1] + dist * math.sin(bearing),
                }
            )
    assets = pd.DataFrame(rows)
    assets.insert(0, c.ASSET_ID, [f"DEMO-A{k:03d}" for k in range(1, len(assets) + 1)])
    gp = assets[c.ASSET_TYPE] == "gp_practice"
    assets.loc[gp, c.ODS_CODE] = [f"DMO{k:02d}" for k in range(1, int(gp.sum()) + 1)]
    assets.loc[assets[c.NAME] == "Demoborough General Hospital", c.TENURE] = "pfi"
    # a few unknowns, to exercise missing-value handling (unknown is not zero)
    picks = rng.permutation(len(assets))
    assets[c.AVAILABLE_M2] = assets[c.AVAILABLE_M2].astype("float64")
    assets.loc[picks[:5], c.AVAILABLE_M2] = np.nan
    assets[c.STEP_FREE] = assets[c.STEP_FREE].astype("boolean")
    assets.loc[picks[5:9], c.STEP_FREE] = pd.NA
    assets[c.TENURE] = assets[c.TENURE].astype(object)
    assets.loc[picks[9:11], c.TENURE] = None
    assets[c.SOURCE] = _SOURCE
    assets[c.SOURCE_REF] = f"seed {seed}"
    assets[c.IN_AREA] = True
    assets[c.SYNTHETIC] = True
    geometry = shapely.points(assets.pop("x").to_numpy(), assets.pop("y").to_numpy())
    out = gpd.GeoDataFrame(assets, geometry=geometry, crs=c.ANALYSIS_CRS)
    logger.info(
        "demo assets: %d assets of %d types in %.2f s",
        len(out),
        out[c.ASSET_TYPE].nunique(),
        time.perf_counter() - t0,
    )
    return out


def generate_demo(*, seed: int = 0, n_zones: int = 150) -> DemoStudy:
    """Generate the synthetic demo borough "Demoborough (synthetic)".

    Parameters
    ----------
    seed
        Seed of ``numpy.random.default_rng``; the same seed gives identical data.
    n_zones
        Number of population zones (LSOA-like, 1,000-3,000 residents each); 100-200
        is typical.

    Returns
    -------
    DemoStudy
        Zones, assets, outline, street network and bus timetable, all in EPSG:27700
        (GTFS stop coordinates in WGS84), all flagged ``synthetic``.

    Raises
    ------
    ValueError
        If ``n_zones`` is below 10 or above 1,000.

    Examples
    --------
    >>> study = generate_demo(seed=3, n_zones=120)
    >>> len(study.zones), study.name
    (120, 'Demoborough (synthetic)')
    """
    if not 10 <= n_zones <= 1000:
        msg = f"generate_demo: n_zones = {n_zones} is out of range; use 10-1000 (e.g. 150)."
        raise ValueError(msg)
    t0 = time.perf_counter()
    rng_outline, rng_streets, rng_zones, rng_assets, rng_gtfs = np.random.default_rng(seed).spawn(5)
    outline = _outline(rng_outline)
    inner = outline.buffer(-2500.0)
    offset = rng_outline.normal(0.0, 300.0, 2)
    centre = np.asarray(inner.centroid.coords[0]) + offset
    if not inner.contains(shapely.Point(centre)):
        centre = np.asarray(inner.representative_point().coords[0])
    streets = build_streets(outline, (float(centre[0]), float(centre[1])), rng_streets)
    zones = _zones(outline, streets, n_zones, rng_zones)
    assets = _assets(outline, streets, zones, seed, rng_assets)
    gtfs = build_gtfs(streets, outline, rng_gtfs, seed=seed)
    area = gpd.GeoDataFrame(
        {"area_id": ["DMO"], c.NAME: [DEMO_NAME], c.SYNTHETIC: [True]},
        geometry=[outline],
        crs=c.ANALYSIS_CRS,
    )
    for frame in (zones, assets, area):
        frame.attrs[c.SYNTHETIC] = True
    logger.info(
        "demo generated (seed %d): %d zones, %d assets, %d street nodes, %d bus stops in %.2f s",
        seed,
        len(zones),
        len(assets),
        len(streets.nodes),
        len(gtfs["stops"]),
        time.perf_counter() - t0,
    )
    return DemoStudy(zones=zones, assets=assets, area=area, streets=streets, gtfs=gtfs, seed=seed)


# --- files ------------------------------------------------------------------------------

TomlValue = str | bool | int | float | list["TomlValue"] | dict[str, "TomlValue"]
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _toml_value(value: TomlValue) -> str:
    """One TOML value: strings use JSON escapes, which are valid TOML basic strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            msg = f"TOML emitter: non-finite float {value!r} is not supported"
            raise ValueError(msg)
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[ " + ", ".join(_toml_value(v) for v in value) + " ]" if value else "[]"
    items = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
    return "{ " + items + " }" if items else "{}"


def _toml_document(
    header: str, sections: list[tuple[str, list[tuple[str, TomlValue, str]]]]
) -> str:
    """A TOML document: a comment header, then ``[section]`` tables of key/value/comment."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    for section, items in sections:
        lines += ["", f"[{section}]"]
        for key, value, comment in items:
            text = f"{_toml_key(key)} = {_toml_value(value)}"
            lines.append(f"{text}  # {comment}" if comment else text)
    return "\n".join(lines) + "\n"


def demo_toml(*, seed: int = 0) -> str:
    """The study config of the demo, with paths relative to the config file.

    Parameters
    ----------
    seed
        Demo seed, also used to seed the neighbourhood regionalisation.

    Returns
    -------
    str
        TOML text (parses with :mod:`tomllib`).
    """
    header = (
        f"Study config of {DEMO_NAME}: ALL DATA ARE SYNTHETIC.\n"
        f"Generated by estatesplan.demo.write_demo(seed={seed}); not a real place."
    )
    sections: list[tuple[str, list[tuple[str, TomlValue, str]]]] = [
        ("study", [("name", DEMO_NAME, ""), ("crs", c.ANALYSIS_CRS, ""),
                   ("synthetic", True, ""), ("area", "area.gpkg", "")]),
        ("zones", [("file", "zones.gpkg", "")]),
        ("assets", [
            ("files", [{"path": "assets.gpkg"}], ""),
            ("osm", "streets.osm.pbf",
             "not used for assets here (use_osm_assets = false); it is the street network"),
            ("use_osm_assets", False, ""),
        ]),
        ("neighbourhoods", [("method", "regionalise", ""), ("min_population", 30000, ""),
                            ("max_population", 50000, ""), ("seed", seed, "")]),
        ("network", [("osm", "streets.osm.pbf", "")]),
        ("transit", [("gtfs", "gtfs.zip", "")]),
    ]  # fmt: skip
    return _toml_document(header, sections)


def _readme(study: DemoStudy) -> str:
    return f"""{DEMO_NAME}: SYNTHETIC DEMO DATA
{"=" * (len(DEMO_NAME) + 21)}

Everything in this folder is synthetic. Demoborough is not a real place: its
outline, people, deprivation, buildings, owners, streets, postcodes (DM...), ODS-like
codes and bus timetable were generated by estatesplan.demo.write_demo(seed={study.seed}).
Any resemblance to real places, organisations or people is coincidental. Do not use
these numbers for any decision.

Files (EPSG:27700 British National Grid unless stated):
  demo.toml        study config (paths relative to this folder)
  area.gpkg        layer "area": the borough outline
  zones.gpkg       layer "zones": {len(study.zones)} LSOA-like population zones
  assets.gpkg      layer "assets": {len(study.assets)} public buildings
  streets.osm.pbf  street network in OpenStreetMap PBF format (WGS84), fictitious
  gtfs.zip         bus timetable in GTFS format (WGS84 stops), fictitious

Every layer has a column "synthetic" set to true. Regenerating with the same seed gives
byte-identical files.
"""


def _write_gpkg(gdf: gpd.GeoDataFrame, target: Path, *, layer: str) -> None:
    """Write one GeoPackage layer atomically, with a fixed ``last_change`` (reproducible bytes)."""
    with atomic_path(target) as tmp:
        pyogrio.write_dataframe(
            gdf,
            tmp,
            layer=layer,
            driver="GPKG",
            layer_options={"DESCRIPTION": f"{DEMO_NAME}: synthetic demo data, not real"},
        )
        con = sqlite3.connect(tmp)
        try:
            with con:
                con.execute("UPDATE gpkg_contents SET last_change = ?", (_GPKG_DATE,))
        finally:
            con.close()


def write_demo(out_dir: str | os.PathLike[str], *, seed: int = 0) -> Path:
    """Generate the demo and write its files and study config into ``out_dir``.

    Each file is written atomically; the same seed gives byte-identical files.

    Parameters
    ----------
    out_dir
        Folder to write into (created if missing; existing demo files are replaced).
    seed
        Seed of the demo.

    Returns
    -------
    Path
        The study config ``out_dir/demo.toml``.

    Examples
    --------
    >>> import tempfile
    >>> write_demo(tempfile.mkdtemp(), seed=2).name
    'demo.toml'
    """
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    study = generate_demo(seed=seed)
    _write_gpkg(study.zones, out / "zones.gpkg", layer="zones")
    _write_gpkg(study.assets, out / "assets.gpkg", layer="assets")
    _write_gpkg(study.area, out / "area.gpkg", layer="area")
    with atomic_path(out / "streets.osm.pbf") as tmp:
        write_pbf(study.streets, tmp)
    with atomic_path(out / "gtfs.zip") as tmp:
        write_gtfs_zip(study.gtfs, tmp)
    write_text_atomic(out / "README.txt", _readme(study))
    config = write_text_atomic(out / "demo.toml", demo_toml(seed=seed))
    logger.info("demo written to %s (seed %d) in %.2f s", out, seed, time.perf_counter() - t0)
    return config
