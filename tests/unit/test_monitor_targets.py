"""The monitor's user configuration (``AISI_MONITOR_CONFIG``): YAML merged over config/monitor.yaml,
read with libyaml's safe loader where PyYAML has it (the same documents: a 5,000-target file is
read each cycle), and a file that is not YAML named in the error."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core.availability.targets import MonitorConfigError, load_targets
from core.yaml_files import SafeLoader

USER = """\
# a team's additions: anchors, comments, a default disabled
providers:
  openai: {enabled: false}
  acme: &probe
    name: Acme AI   # display name
    probe_url: http://127.0.0.1:9/acme/v1/models
  acme-eu:
    <<: *probe
    name: Acme AI (EU)
    status_page: http://127.0.0.1:9/status
"""


def test_a_user_file_is_merged_over_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text(USER, encoding="utf-8")
    targets = {t.provider_id: t for t in load_targets({"AISI_MONITOR_CONFIG": str(path)})}
    assert "openai" not in targets and "anthropic" in targets
    assert targets["acme"].name == "Acme AI" and targets["acme"].status_page is None
    assert targets["acme-eu"].probe is not None and targets["acme-eu"].probe.url == "http://127.0.0.1:9/acme/v1/models"
    assert (targets["acme-eu"].name, targets["acme-eu"].status_page) == ("Acme AI (EU)", "http://127.0.0.1:9/status")
    # The loader it is read with (libyaml's, where PyYAML has it) reads it as the pure-Python safe loader does.
    assert yaml.load(USER, Loader=SafeLoader) == yaml.safe_load(USER)  # noqa: S506 - a safe loader


def test_a_file_that_is_not_yaml_is_named(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("providers:\n  acme: [unclosed\n", encoding="utf-8")
    with pytest.raises(MonitorConfigError, match="broken.yaml is not valid YAML"):
        load_targets({"AISI_MONITOR_CONFIG": str(path)})


def test_a_safe_loader_refuses_python_objects(tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text("providers: !!python/object/apply:os.getcwd []\n", encoding="utf-8")
    with pytest.raises(MonitorConfigError, match="not valid YAML"):
        load_targets({"AISI_MONITOR_CONFIG": str(path)})
