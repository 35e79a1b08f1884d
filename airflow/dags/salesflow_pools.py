"""The Airflow pools the salesflow DAG's tasks run in, and the file that creates them.

- ``salesflow_source_<source>`` (one per configured source, ``SALESFLOW_SOURCE_POOL_SLOTS``, default 1):
  every ingest of that source, whatever the day. With one slot, two days never read one source at
  once: the production database or API sees one extract at a time, and the source's incremental
  state (``_state/<source>/...``) is read and written by one run at a time.
- ``salesflow_warehouse`` (``SALESFLOW_WAREHOUSE_POOL_SLOTS``, default 1): every ``load_warehouse``.

Airflow does not create pools: a task whose pool is missing never starts. The deploy creates them:

    python airflow/dags/salesflow_pools.py > pools.json && airflow pools import pools.json

reads the same pipeline config as the DAG (``SALESFLOW_CONFIG``) and prints the pools as
``airflow pools import`` reads them. docker-compose.yml's airflow-init does exactly that; the
Helm values create the same pools for config/pipeline_config.yaml.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Mapping, Sequence

WAREHOUSE_POOL = "salesflow_warehouse"
SOURCE_POOL_PREFIX = "salesflow_source_"


def source_pool(source: str) -> str:
    """The pool of one source's ingest tasks (pool names keep letters, digits, '_', '-' and '.')."""
    return SOURCE_POOL_PREFIX + re.sub(r"[^A-Za-z0-9_.-]", "_", source)


def _slots(env: Mapping[str, str], name: str) -> int:
    value = env.get(name) or "1"
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name}={value!r} must be a whole number of 1 or more (the pool's slots)")
    return int(value)


def pool_definitions(sources: Sequence[str], env: Mapping[str, str] = os.environ) -> dict[str, dict]:
    """Every pool the DAG uses, as ``airflow pools import`` reads them (name -> slots, description)."""
    source_slots = _slots(env, "SALESFLOW_SOURCE_POOL_SLOTS")
    pools = {
        source_pool(source): {
            "slots": source_slots,
            "description": f"salesflow: ingests of source {source} (all days)",
            "include_deferred": True,
        }
        for source in sources
    }
    pools[WAREHOUSE_POOL] = {"slots": _slots(env, "SALESFLOW_WAREHOUSE_POOL_SLOTS"), "description": "salesflow: warehouse loads (all days)", "include_deferred": True}
    return pools


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from salesflow_steps import StepSettings, read_source_names

    settings = StepSettings.from_env()
    json.dump(pool_definitions(read_source_names(settings.config_path)), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
