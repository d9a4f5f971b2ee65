"""deploy/ checked where it can be without Docker or Kubernetes: every file parses, the Compose
services run the commands tests/test_deployment.py starts (it reads them from the Compose file),
the Helm chart's code server runs the same command, the instance files pass Dagster's own instance
config validation, and the limits agree everywhere."""

from __future__ import annotations

import re
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.settings import BY_NAME, SETTINGS
from tests.compose import COMPOSE_FILE, DEPLOY, INSTANCE_FILE, WORKSPACE_FILE, compose, compose_command, healthcheck_command, local_command

REPO = DEPLOY.parent
HELM_VALUES = DEPLOY / "helm" / "values.yaml"
HELM_API = DEPLOY / "helm" / "api.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
ENV_EXAMPLE = DEPLOY / ".env.example"
SERVICES = {"postgres", "code-server", "webserver", "daemon", "api"}
PROJECT_SERVICES = SERVICES - {"postgres"}
# What the Helm chart's user-deployment template puts before `codeServerArgs`.
CHART_CODE_SERVER_PREFIX = ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p"]


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _flag(command: list[str], *flags: str) -> str:
    [value] = [command[i + 1] for i, arg in enumerate(command[:-1]) if arg in flags]
    return value


def test_every_yaml_file_parses() -> None:
    files = sorted(DEPLOY.rglob("*.yaml")) + sorted(DEPLOY.rglob("*.yml"))
    assert {p.relative_to(DEPLOY).as_posix() for p in files} >= {
        "docker-compose.yml", "dagster.yaml", "workspace.yaml", "helm/values.yaml", "helm/api.yaml"}
    for path in files:
        documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
        assert documents and all(isinstance(d, dict) for d in documents), path


def test_compose_services_health_checks_and_volumes() -> None:
    spec = compose()
    services = spec["services"]
    assert set(services) == SERVICES
    assert set(spec["volumes"]) == {"postgres-data", "aisi-data"}
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
        assert service.get("restart") == "unless-stopped", name
    for name in PROJECT_SERVICES:
        service = services[name]
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}, name
        assert "aisi-data:/data" in service["volumes"], name
        assert service["environment"]["AISI_HOME"] == "/data", name
        assert service["env_file"] == [".env"], name
        assert service["depends_on"]["postgres"] == {"condition": "service_healthy"}, name
    for name in ("webserver", "daemon"):  # they need the code location answering
        assert services[name]["depends_on"]["code-server"] == {"condition": "service_healthy"}, name
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]


def test_compose_commands_are_the_ones_the_deployment_test_runs() -> None:
    code_server = compose_command("code-server")
    assert code_server[:3] == ["dagster", "code-server", "start"]
    assert _flag(code_server, "-m") == "pipelines.definitions" and _flag(code_server, "--location-name") == "aisi"
    assert compose_command("webserver")[0] == "dagster-webserver"
    assert compose_command("daemon")[:2] == ["dagster-daemon", "run"]
    assert compose_command("api")[:2] == ["aisi", "serve"]
    # The webserver and the daemon read deploy/workspace.yaml, as the image holds it (WORKDIR /opt/aisi).
    for name in ("webserver", "daemon"):
        assert _flag(compose_command(name), "-w") == "deploy/workspace.yaml"
    assert "COPY deploy/workspace.yaml ./deploy/workspace.yaml" in DOCKERFILE.read_text(encoding="utf-8")

    # tests/test_deployment.py starts every service but PostgreSQL from these commands, changing
    # only the executable's path, the listening host, the ports and the workspace file.
    workspace = Path("/elsewhere/workspace.yaml")
    for name in PROJECT_SERVICES:
        original = compose_command(name)
        local = local_command(name, port=1234, workspace=workspace)
        assert Path(local[0]).name == original[0] or local[1:3] == ["-m", original[0]], (name, local)
        changed = {(a, b) for a, b in zip(original[1:], local[-(len(original) - 1):]) if a != b}
        assert changed <= {("0.0.0.0", "127.0.0.1"), ("4000", "1234"), ("3000", "1234"), ("8000", "1234"),
                           ("deploy/workspace.yaml", str(workspace))}, (name, changed)
    source = (REPO / "tests" / "test_deployment.py").read_text(encoding="utf-8")
    for name in PROJECT_SERVICES:
        assert f'local_command("{name}"' in source, f"tests/test_deployment.py does not start {name} from Compose"
    assert 'healthcheck=True' in source  # and waits for the code server's own health check


def test_workspace_points_at_the_code_server() -> None:
    [entry] = _yaml(WORKSPACE_FILE)["load_from"]
    server = entry["grpc_server"]
    code_server = compose_command("code-server")
    assert server == {"host": "code-server", "port": int(_flag(code_server, "-p")),
                      "location_name": _flag(code_server, "--location-name")}
    assert healthcheck_command("code-server") == ["dagster", "api", "grpc-health-check", "-p", _flag(code_server, "-p")]


@pytest.mark.parametrize("path", [INSTANCE_FILE, REPO / "dagster.yaml", REPO / "config" / "dagster-postgres.yaml"],
                         ids=lambda p: p.relative_to(REPO).as_posix())
def test_instance_files_pass_dagsters_instance_validation(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dagster._config import validate_config
    from dagster._core.instance.config import dagster_instance_config

    # The variables the files name, so that their sources resolve.
    monkeypatch.setenv("AISI_DAGSTER_PG_URL", "postgresql://aisi:secret@postgres:5432/aisi")
    monkeypatch.setenv("DAGSTER_COMPUTE_LOGS_DIR", "/data/dagster-logs")
    config, instance_class = dagster_instance_config(str(path.parent), path.name)
    assert instance_class is None
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    # Each configurable class's own config too (what the instance checks when it builds them).
    for key in ("run_coordinator", "compute_logs"):
        if key in config:
            klass = getattr(import_module(config[key]["module"]), config[key]["class"])
            checked = validate_config(klass.config_type(), config[key].get("config") or {})
            assert checked.success, (key, checked.errors)
    if "storage" in config:
        from dagster_postgres import DagsterPostgresStorage

        checked = validate_config(DagsterPostgresStorage.config_type(), config["storage"]["postgres"])
        assert checked.success, checked.errors


def test_the_deployment_instance_is_the_postgres_instance_aisi_uses() -> None:
    """deploy/dagster.yaml = config/dagster-postgres.yaml (what `aisi` uses with AISI_DAGSTER_PG_URL)
    plus compute logs on the shared volume: the limits cannot differ between the two."""
    deployed = _yaml(INSTANCE_FILE)
    compute_logs = deployed.pop("compute_logs")
    assert compute_logs["config"]["base_dir"] == {"env": "DAGSTER_COMPUTE_LOGS_DIR"}
    assert deployed == _yaml(REPO / "config" / "dagster-postgres.yaml")
    repo = _yaml(REPO / "dagster.yaml")
    for key in ("run_coordinator", "concurrency", "run_monitoring"):
        assert deployed[key] == repo[key], key
    assert "COPY deploy/dagster.yaml /opt/dagster/home/dagster.yaml" in DOCKERFILE.read_text(encoding="utf-8")
    assert "DAGSTER_HOME=/opt/dagster/home" in DOCKERFILE.read_text(encoding="utf-8")


def test_helm_values_match_compose_and_the_instance() -> None:
    values = _yaml(HELM_VALUES)
    [deployment] = values["dagster-user-deployments"]["deployments"]
    assert values["dagster-user-deployments"]["enabled"] is True
    chart_command = [*CHART_CODE_SERVER_PREFIX, str(deployment["port"]), *deployment["codeServerArgs"]]
    assert chart_command == compose_command("code-server")
    env = {e["name"]: e["value"] for e in deployment["env"]}
    assert env["AISI_HOME"] == "/data" and env["AISI_EXECUTOR"] == "multiprocess"
    assert {"name": "aisi-data", "mountPath": "/data"} in deployment["volumeMounts"]

    launcher = values["runLauncher"]
    assert launcher["type"] == "K8sRunLauncher"
    k8s = launcher["config"]["k8sRunLauncher"]
    assert k8s["resources"]["requests"] and k8s["resources"]["limits"]
    assert {"name": "aisi-data", "mountPath": "/data"} in k8s["volumeMounts"]
    assert values["postgresql"]["enabled"] is True

    instance = _yaml(INSTANCE_FILE)
    coordinator = values["dagsterDaemon"]["runCoordinator"]
    assert coordinator["enabled"] is True and coordinator["type"] == "QueuedRunCoordinator"
    # The limits live in the instance's `concurrency` block, the same as deploy/dagster.yaml's.
    assert values["additionalInstanceConfig"]["concurrency"] == instance["concurrency"]
    monitoring = values["dagsterDaemon"]["runMonitoring"]
    assert monitoring["enabled"] is True
    assert monitoring["freeSlotsAfterRunEndSeconds"] == instance["run_monitoring"]["free_slots_after_run_end_seconds"]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_the_instance_the_chart_renders_from_these_values_is_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The parts of the chart's dagster.yaml our values decide, rendered as the chart's instance
    template maps them (camelCase -> snake_case, additionalInstanceConfig merged as it is), pass
    Dagster's instance validation: the queue's tag limit and the pool limit together, run monitoring.
    (The chart itself is not rendered here: no helm, no network.)"""
    from dagster._core.errors import DagsterInvalidConfigError
    from dagster._core.instance.config import dagster_instance_config

    values = _yaml(HELM_VALUES)
    queued = values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]
    instance = {
        "storage": {"postgres": {"postgres_db": {"username": "aisi", "password": {"env": "DAGSTER_PG_PASSWORD"},
                                                 "hostname": "postgres", "db_name": "aisi", "port": 5432}}},
        "run_coordinator": {"module": "dagster.core.run_coordinator", "class": "QueuedRunCoordinator",
                            "config": {_snake(k): v for k, v in queued.items()}},
        "run_monitoring": {_snake(k): v for k, v in values["dagsterDaemon"]["runMonitoring"].items()},
        "telemetry": values["telemetry"],
        **values["additionalInstanceConfig"],
    }
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(instance), encoding="utf-8")
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", "secret")
    config, _ = dagster_instance_config(str(tmp_path))
    assert config["concurrency"] == _yaml(INSTANCE_FILE)["concurrency"]

    # Limits in both places are what Dagster refuses (and what an earlier draft of these values did).
    instance["run_coordinator"]["config"] = {"tag_concurrency_limits": instance["concurrency"]["runs"]["tag_concurrency_limits"]}
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(instance), encoding="utf-8")
    with pytest.raises(DagsterInvalidConfigError, match="incompatible with the `concurrency > runs` config"):
        dagster_instance_config(str(tmp_path))


def test_helm_api_deployment_runs_compose_api_command() -> None:
    documents = {d["kind"]: d for d in yaml.safe_load_all(HELM_API.read_text(encoding="utf-8"))}
    assert set(documents) == {"PersistentVolumeClaim", "Deployment", "Service"}
    assert documents["PersistentVolumeClaim"]["spec"]["accessModes"] == ["ReadWriteMany"]
    [container] = documents["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert container["command"] == compose_command("api")
    port = int(_flag(container["command"], "--port"))
    assert container["ports"] == [{"name": "http", "containerPort": port}]
    assert container["readinessProbe"]["httpGet"]["path"] == "/api/v1/status"
    assert {"name": "aisi-data", "mountPath": "/data"} in container["volumeMounts"]
    selector = documents["Deployment"]["spec"]["selector"]["matchLabels"]
    assert documents["Service"]["spec"]["selector"] == selector
    assert documents["Deployment"]["spec"]["template"]["metadata"]["labels"] == selector


def test_dockerfile_debian_lock_and_system_chromium() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim-bookworm$", text, re.M)  # Debian, the Python pyproject allows
    assert "apt-get install -y --no-install-recommends chromium" in text
    assert "pip install -r requirements.lock" in text and "pip install --no-deps -e ." in text
    assert "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1" in text and "AISI_CHROMIUM=/usr/bin/chromium" in text
    assert "playwright install" not in text
    for folder in ("core", "pipelines", "api", "sql", "config"):  # what the code reads at run time
        assert f"COPY {folder} ./{folder}" in text, folder


def test_every_aisi_variable_deploy_names_is_a_setting() -> None:
    families = [re.compile("^" + re.escape(s.name).replace(re.escape("<NAME>"), "[A-Z0-9_]+")
                           .replace(re.escape("<PROVIDER>"), "[A-Z0-9_]+") + "$") for s in SETTINGS if "<" in s.name]
    text = "\n".join(p.read_text(encoding="utf-8") for p in (COMPOSE_FILE, HELM_VALUES, HELM_API, DOCKERFILE, ENV_EXAMPLE))
    names = set(re.findall(r"\bAISI_[A-Z0-9_]*[A-Z0-9]\b", text))
    assert {"AISI_HOME", "AISI_DAGSTER_PG_URL", "AISI_EXECUTOR"} <= names
    assert sorted(n for n in names if n not in BY_NAME and not any(f.match(n) for f in families)) == []
    # The example holds no value that looks like a real secret.
    example = dict(line.split("=", 1) for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
                   if line and not line.startswith("#"))
    assert all(example[k] == "" for k in example if k.endswith(("_KEY", "_TOKEN", "_URL")) and "DAGSTER" not in k), example
