"""Shared fixture of the lake-reader tests: the demo pipeline for three days into a temporary lake.

Starts: node tasks/run-pipeline/dist/demo.js (run `npm run build` first), once per session.
"""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "demo_config.yaml"
DAYS = ["2026-11-24", "2026-11-25", "2026-11-26"]


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """Runs the demo pipeline for DAYS into a temporary lake; returns its folders."""
    base = tmp_path_factory.mktemp("lake-readers")
    env = {
        **os.environ,
        "LAKE_ROOT": str(base / "lake"),
        "WAREHOUSE_SQLITE": str(base / "warehouse.sqlite"),
        "LANDING_PATH": str(base / "landing"),
    }
    for day in DAYS:
        run = subprocess.run(["node", "tasks/run-pipeline/dist/demo.js"], cwd=ROOT, env={**env, "DEMO_DS": day}, capture_output=True, text=True)
        assert run.returncode == 0, f"demo for {day} failed:\n{run.stderr[-3000:]}"
    return {"lake": base / "lake", "warehouse": base / "warehouse.sqlite", "landing": base / "landing"}


