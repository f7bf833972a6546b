"""Reference grids of the ACI are data, not code: JSON files under ``apps/aci/data/grids/`` loaded
into ReferenceGrid / GridMission / GridAmount (by a data migration, and again by ``load_grids`` when
a new grid file is added). Loading is idempotent: a grid is matched by its ``code``; rows the team
has edited since are left alone unless ``overwrite`` is set."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from . import models as current_models

GRID_DIR = Path(__file__).resolve().parent / "data" / "grids"


def grid_files() -> list[Path]:
    return sorted(GRID_DIR.glob("*.json"))


def load_grid(data: dict, *, models=None, overwrite: bool = False):
    """Load one grid dict. ``models`` is an object with ReferenceGrid, GridMission and GridAmount
    attributes (a migration passes historical models); defaults to the current ones."""
    if models is None:
        models = current_models
    grid, created = models.ReferenceGrid.objects.get_or_create(
        code=data["code"],
        defaults={
            "label": data["label"],
            "valid_from": date.fromisoformat(data["valid_from"]),
            "source": data.get("source", ""),
            "verified": bool(data.get("verified", False)),
            "notes": data.get("notes", ""),
        },
    )
    if not created and not overwrite:
        return grid
    for row in data["missions"]:
        models.GridMission.objects.update_or_create(
            grid=grid,
            mission=row["mission"],
            defaults={
                "mandatory": row["mandatory"],
                "start_months": row["start_months"],
                "full_months": row["full_months"],
            },
        )
    for row in data["amounts"]:
        models.GridAmount.objects.update_or_create(
            grid=grid,
            size=row["size"],
            envelope=row["envelope"],
            part=row["part"],
            defaults={"annual_amount": Decimal(str(row["annual_amount"]))},
        )
    return grid


def load_grids(*, models=None, overwrite: bool = False) -> int:
    count = 0
    for path in grid_files():
        load_grid(json.loads(path.read_text(encoding="utf-8")), models=models, overwrite=overwrite)
        count += 1
    return count
