"""The step images under a real Docker engine: the whole pipeline, one container per step, on the
embedded default and with the warehouse on PostgreSQL and on MariaDB and the lake on S3 (moto),
checked against the local runner (the same dist entrypoints as child processes here) on the same
landing files: each step's exit code and summary counts, and the analytical answers read back from
the warehouse.

Run by docker/test-images.sh, which starts the engine and builds the images, then sets
DOCKER_HOST, SALESFLOW_TEST_IMAGE_PREFIX and SALESFLOW_TEST_IMAGE_TAG. Without an engine these tests
fail; they are never skipped. The servers: WAREHOUSE_TEST_PG_URL (default
postgres://postgres@127.0.0.1:5432/test), WAREHOUSE_TEST_MYSQL_URL (default
mysql://root@127.0.0.1:3306/test), LAKE_TEST_S3_ENDPOINT (required for the S3 case). Each case
makes its own databases and buckets and drops them afterwards."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
DOCKER = os.environ.get("DOCKER", "docker")
PREFIX = os.environ.get("SALESFLOW_TEST_IMAGE_PREFIX", "salesflow")
TAG = os.environ.get("SALESFLOW_TEST_IMAGE_TAG", "latest")
PG_URL = os.environ.get("WAREHOUSE_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("WAREHOUSE_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
S3_ENDPOINT = os.environ.get("LAKE_TEST_S3_ENDPOINT", "")
DS = "2026-11-26"
STEPS = ["setup", "ingest", "standardize", "mask", "build-star-schema", "check-quality", "load-warehouse"]
# Where the step containers see the case's folders (the images' own /data stays unused).
MOUNT = "/case"


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600, **kwargs)


@pytest.fixture(scope="session", autouse=True)
def engine():
    if not os.environ.get("DOCKER_HOST"):
        pytest.fail("DOCKER_HOST is not set: run these tests through docker/test-images.sh, which starts a Docker engine")
    info = run([DOCKER, "info", "--format", "{{.ServerVersion}}"])
    assert info.returncode == 0, f"no Docker engine answers on {os.environ['DOCKER_HOST']}: {info.stderr}"
    for target in [*STEPS, "tools"]:
        image = f"{PREFIX}-{target}:{TAG}"
        assert run([DOCKER, "image", "inspect", image]).returncode == 0, f"{image} is not built (docker/test-images.sh builds it)"


def summary_of(stdout: str, places: dict[str, str]) -> dict:
    """The step's summary (its last stdout line) less what depends on where it ran: the timing, and
    in each output the side's own places (lake root, folder, database name) by their names."""
    last = json.loads(stdout.strip().splitlines()[-1])
    last.pop("duration_s", None)
    outputs = []
    for output in last.get("outputs", []):
        for place, name in places.items():
            output = output.replace(place, name, 1)
        outputs.append(output)
    last["outputs"] = outputs
    return last


class Case:
    """One pipeline setup (config file, environment, warehouse) run once in containers and once locally."""

    def __init__(self, tmp: Path, name: str):
        self.tmp = tmp
        self.name = name
        tmp.chmod(0o755)
        self.landing = tmp / "landing"
        landed = run(["node", "tasks/sample-data/dist/main.js", "--out", str(self.landing / f"dt={DS}"), "--ds", DS, "--seed", "42", "--scale", "0.2"],
                     cwd=REPO, env={**os.environ, "LOG_LEVEL": "warn"})
        assert landed.returncode == 0, landed.stderr
        self.config = yaml.safe_load((REPO / "config" / "demo_config.yaml").read_text())
        self.env: dict[str, dict[str, str]] = {"container": {}, "local": {}}
        for side in ("container", "local"):
            out = tmp / side
            out.mkdir()
            os.chown(out, 1000, 1000)  # the images run as node (1000:1000)
            self.set_env(side, "LAKE_ROOT", f"{self.root(side)}/lake")
            self.set_env(side, "LANDING_PATH", f"{MOUNT}/landing" if side == "container" else str(self.landing))
            self.set_env(side, "WAREHOUSE_SQLITE", f"{self.root(side)}/warehouse.sqlite")

    def root(self, side: str) -> str:
        return f"{MOUNT}/{side}" if side == "container" else str(self.tmp / side)

    def places(self, side: str) -> dict[str, str]:
        """Where this side keeps its data, each by the name it stands for in a summary."""
        env = self.env[side]
        found = {env["LAKE_ROOT"]: "<lake>", self.root(side): "<folder>"}
        if "WAREHOUSE_DATABASE" in env:
            found[f"/{env['WAREHOUSE_DATABASE']}/"] = "/<database>/"
        return found

    def set_env(self, side: str, name: str, value: str) -> None:
        self.env[side][name] = value

    def write_config(self) -> None:
        (self.tmp / "config.yaml").write_text(yaml.safe_dump(self.config, sort_keys=False))

    def config_path(self, side: str) -> str:
        return f"{MOUNT}/config.yaml" if side == "container" else str(self.tmp / "config.yaml")

    def in_container(self, image: str, args: list[str]) -> subprocess.CompletedProcess[str]:
        """Runs one image as a step container: host network, read-only root filesystem, no capabilities."""
        env = [f"--env={k}={v}" for k, v in {**self.env["container"], "LOG_LEVEL": "warn"}.items()]
        return run([DOCKER, "run", "--rm", "--network", "host", "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL",
                    "--security-opt", "no-new-privileges", f"--volume={self.tmp}:{MOUNT}:ro",
                    f"--volume={self.tmp / 'container'}:{MOUNT}/container", *env, image, *args])

    def locally(self, script: str, args: list[str]) -> subprocess.CompletedProcess[str]:
        return run(["node", script, *args], cwd=REPO, env={**os.environ, **self.env["local"], "LOG_LEVEL": "warn"})

    def pipeline(self, side: str) -> list[dict]:
        summaries = []
        for step in STEPS:
            args = ["--config", self.config_path(side), "--ds", DS, "--run-id", f"scheduled__{DS}T02:00:00+00:00"]
            if step == "ingest":
                args += ["--source", "landing"]
            if side == "container":
                result = self.in_container(f"{PREFIX}-{step}:{TAG}", args)
            else:
                result = self.locally(f"tasks/{step}/dist/main.js", args)
            assert result.returncode == 0, f"{self.name}, {side}, {step}: exit {result.returncode}\n{result.stderr[-3000:]}"
            summaries.append(summary_of(result.stdout, self.places(side)))
        return summaries

    def answers(self, side: str) -> list[dict]:
        args = ["tasks/load-warehouse/dist/query-main.js", "--config", self.config_path(side), "--json"]
        result = self.in_container(f"{PREFIX}-tools:{TAG}", args) if side == "container" else self.locally(args[0], args[1:])
        assert result.returncode == 0, f"{self.name}, {side}, analytical queries: {result.stderr[-3000:]}"
        return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def server_database(url: str, name: str, drop: bool = False) -> None:
    u = urlparse(url)
    if u.scheme.startswith("postgres"):
        sql = f'DROP DATABASE IF EXISTS "{name}"' if drop else f'CREATE DATABASE "{name}"'
        args = ["psql", "-v", "ON_ERROR_STOP=1", "-h", u.hostname, "-p", str(u.port or 5432), "-U", u.username or "postgres", "-d", u.path.lstrip("/") or "postgres", "-c", sql]
        env = {**os.environ, "PGPASSWORD": u.password or ""}
    else:
        sql = f"DROP DATABASE IF EXISTS `{name}`" if drop else f"CREATE DATABASE `{name}`"
        args = ["mysql", "--protocol=tcp", "-h", u.hostname, "-P", str(u.port or 3306), "-u", u.username or "root", "-e", sql]
        env = {**os.environ, "MYSQL_PWD": u.password or ""}
    result = run(args, env=env)
    assert result.returncode == 0, f"{sql} on {u.hostname}:{u.port}: {result.stderr}"


@pytest.fixture(params=["embedded", "postgres", "mariadb", "s3"])
def case(request, tmp_path):
    c = Case(tmp_path, request.param)
    cleanup = []
    if request.param in ("postgres", "mariadb"):
        url = PG_URL if request.param == "postgres" else MYSQL_URL
        u = urlparse(url)
        client = "postgres" if request.param == "postgres" else "mysql"
        databases = {}
        for side in ("container", "local"):
            databases[side] = f"img_{side}_{secrets.token_hex(4)}"
            server_database(url, databases[side])
            cleanup.append(lambda name=databases[side]: server_database(url, name, drop=True))
        # Each side loads its own database; the config reads the name from WAREHOUSE_DATABASE.
        connection = {"host": u.hostname, "port": u.port or (5432 if client == "postgres" else 3306), "user": u.username, "database": "${WAREHOUSE_DATABASE}"}
        if u.password:
            connection["password"] = u.password
        c.config["warehouse"] = {"client": client, "connection": connection, "batch_size": 500}
        for side in ("container", "local"):
            c.set_env(side, "WAREHOUSE_DATABASE", databases[side])
    if request.param == "s3":
        if not S3_ENDPOINT:
            pytest.fail("LAKE_TEST_S3_ENDPOINT is not set: start an S3-compatible server (see .ci/run)")
        # setup creates each side's bucket.
        for side in ("container", "local"):
            c.set_env(side, "LAKE_ROOT", f"s3://img-{side}-{secrets.token_hex(4)}/lake")
            for name, value in {"AWS_ENDPOINT_URL_S3": S3_ENDPOINT, "AWS_REGION": "us-east-1",
                                "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "test"),
                                "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "test")}.items():
                c.set_env(side, name, value)
    c.write_config()
    yield c
    for drop in cleanup:
        drop()


def test_every_step_image_runs_the_pipeline_as_the_local_runner_does(case):
    in_containers = case.pipeline("container")
    locally = case.pipeline("local")
    assert [s["step"] for s in in_containers] == STEPS
    assert all(s["status"] == "success" for s in in_containers), in_containers
    assert in_containers == locally
    answers = case.answers("container")
    assert len(answers) >= 7 and all(a["rows"] for a in answers), answers
    assert answers == case.answers("local")
    if case.name == "embedded":
        # The container's warehouse is a file in the mounted folder: read it from outside too.
        import sqlite3

        with sqlite3.connect(case.tmp / "container" / "warehouse.sqlite") as db:
            assert db.execute("SELECT COUNT(*) FROM fact_sales WHERE batch_ds = ?", (DS,)).fetchone()[0] > 1000


def test_a_step_image_exits_with_the_step_contract_codes(tmp_path):
    """A config error is exit 2 in the container as in the local runner; nothing to do for ingest's
    landing source on a day without files is 99."""
    c = Case(tmp_path, "codes")
    c.write_config()
    missing = c.in_container(f"{PREFIX}-ingest:{TAG}", ["--config", "/nowhere.yaml", "--ds", DS, "--source", "landing"])
    assert missing.returncode == 2 == c.locally("tasks/ingest/dist/main.js", ["--config", "/nowhere.yaml", "--ds", DS, "--source", "landing"]).returncode
    assert "/nowhere.yaml" in missing.stderr


def test_step_images_run_as_non_root_on_node_24():
    for target in STEPS:
        user = run([DOCKER, "image", "inspect", "--format", "{{.Config.User}}", f"{PREFIX}-{target}:{TAG}"]).stdout.strip()
        assert user and user.split(":")[0] not in ("0", "root"), f"{target} runs as {user!r}"
    probe = run([DOCKER, "run", "--rm", "--network", "none", "--read-only", "--entrypoint", "node", f"{PREFIX}-setup:{TAG}",
                 "-p", "process.getuid() + ' ' + process.version"])
    assert probe.returncode == 0, probe.stderr
    uid, version = probe.stdout.split()
    assert uid == "1000" and version.startswith("v24."), probe.stdout
