"""The deployment's commands, read from deploy/docker-compose.yml, as local processes run them.

tests/test_deployment.py starts each service with the very command Compose gives it; only what a
container decides differently is substituted: the listening host (127.0.0.1, not 0.0.0.0), the
ports (free ones), the workspace file (one pointing at the local code server) and the executable
(this virtual environment's console script). tests/test_deploy_files.py checks the rest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.aisi_process import REPO, venv_script

DEPLOY = REPO / "deploy"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
WORKSPACE_FILE = DEPLOY / "workspace.yaml"
INSTANCE_FILE = DEPLOY / "dagster.yaml"

# Console script -> the module that runs it when the script is not installed.
SCRIPTS = {"dagster": "dagster", "dagster-webserver": "dagster_webserver", "dagster-daemon": "dagster._daemon",
           "aisi": "pipelines.cli"}
HOST_FLAGS = ("-h", "--host")
PORT_FLAGS = ("-p", "--port")
WORKSPACE_FLAGS = ("-w", "--workspace")


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def compose_command(service: str) -> list[str]:
    command = compose()["services"][service]["command"]
    assert isinstance(command, list) and all(isinstance(part, str) for part in command), (service, command)
    return command


def healthcheck_command(service: str) -> list[str]:
    """The service's health check as an argument list (Compose's ``["CMD", ...]`` form)."""
    test = compose()["services"][service]["healthcheck"]["test"]
    assert isinstance(test, list) and test[0] == "CMD", (service, test)
    return test[1:]


def local_command(service: str, port: int | None = None, workspace: Path | None = None, *, healthcheck: bool = False) -> list[str]:
    """Compose's command (or health check) for ``service`` with host, port and workspace substituted."""
    command = healthcheck_command(service) if healthcheck else compose_command(service)
    script, args = command[0], list(command[1:])
    for i, arg in enumerate(args[:-1]):
        if arg in HOST_FLAGS:
            args[i + 1] = "127.0.0.1"
        elif arg in PORT_FLAGS:
            assert port is not None, f"{service} listens on a port: give one"
            args[i + 1] = str(port)
        elif arg in WORKSPACE_FLAGS:
            assert workspace is not None, f"{service} reads a workspace: give one"
            args[i + 1] = str(workspace)
    return [*venv_script(script, SCRIPTS[script]), *args]


def local_workspace(path: Path, port: int) -> Path:
    """deploy/workspace.yaml with its gRPC server on 127.0.0.1:``port``, written to ``path``."""
    workspace = yaml.safe_load(WORKSPACE_FILE.read_text(encoding="utf-8"))
    [entry] = workspace["load_from"]
    entry["grpc_server"].update(host="127.0.0.1", port=port)
    path.write_text(yaml.safe_dump(workspace), encoding="utf-8")
    return path
