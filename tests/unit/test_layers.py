"""The code base's layers, read from its imports (every import in a file counts, function-level too):

- ``core`` (Dagster-free: records, identity, sources, fetch, stores, settings) imports neither
  Dagster nor the layers above it (``pipelines``, ``api``);
- ``api`` imports only the core (and its own modules), never Dagster or the pipelines;
- each Dagster area (``pipelines/<area>/``) imports the core, the shared Dagster parts
  (``pipelines.resources``, ``pipelines.autostart``, ``pipelines.run_sweep``) and itself, never
  another area: the root (``pipelines.definitions``) merges them and the CLI drives them;
- no module imports another module's private (``_``) name;
- no import cycle between the project's modules;
- no module but ``core.settings`` reads an ``AISI_*`` variable from the environment.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path

from pipelines.areas import AREAS

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "pipelines", "api")
SHARED_DAGSTER = ("pipelines.resources", "pipelines.autostart", "pipelines.run_sweep")


@lru_cache(maxsize=1)
def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports(module: str) -> list[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every import in the module's file."""
    path = modules()[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, [], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.append((base, [alias.name for alias in node.names], node.lineno))
    return found


def own(name: str) -> str | None:
    """The project module ``name`` (a module, or a name inside one) resolves to."""
    while name and name not in modules():
        name = name.rpartition(".")[0]
    return name or None


def targets(module: str) -> list[tuple[str, int]]:
    """The project modules ``module`` imports, each with its line."""
    out = []
    for base, names, line in imports(module):
        hits = {own(f"{base}.{n}") for n in names} | {own(base)} if names else {own(base)}
        out.extend((hit, line) for hit in hits if hit and hit != module)
    return out


def layer_violations() -> list[str]:
    problems = []
    for module in sorted(modules()):
        for base, _, line in imports(module):
            top = base.split(".")[0]
            if module.startswith(("core", "api")) and (top == "dagster" or top.startswith("dagster_")):
                problems.append(f"{module}:{line} imports {base} (the {module.split('.')[0]} layer is Dagster-free)")
        for target, line in targets(module):
            if module.startswith("core") and not target.startswith("core"):
                problems.append(f"{module}:{line} imports {target} (core imports only core)")
            if module.startswith("api") and not target.startswith(("core", "api")):
                problems.append(f"{module}:{line} imports {target} (the API uses only the core)")
            area = module.split(".")[1] if module.startswith("pipelines.") else None
            if area in AREAS:
                other = target.split(".")[1] if target.startswith("pipelines.") and target.count(".") else None
                if other in AREAS and other != area:
                    problems.append(f"{module}:{line} imports {target} (an area never imports another area)")
                if target in ("pipelines.definitions", "pipelines.cli"):
                    problems.append(f"{module}:{line} imports {target} (an area never imports the root)")
    return problems


def private_imports() -> list[str]:
    problems = []
    for module in sorted(modules()):
        for base, names, line in imports(module):
            target = own(base)
            if target and target != module:
                problems.extend(f"{module}:{line} imports {name} from {base}" for name in names
                                if name.startswith("_") and not name.startswith("__"))
    return problems


def cycles() -> list[list[str]]:
    graph = {m: {t for t, _ in targets(m)} for m in modules()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


ENV_READ = re.compile(r"""(?:environ(?:\.get)?|getenv)\(?\s*[\[(]?\s*f?["']AISI_""")


def settings_reads() -> list[str]:
    return [f"{m}:{n}" for m, path in sorted(modules().items()) if m != "core.settings"
            for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if ENV_READ.search(text)]


def test_every_area_folder_is_an_area() -> None:
    """Each folder of ``pipelines/`` with a ``definitions`` module is in ``AREAS``, so the root merges
    it and the step processes preload it; and each area in ``AREAS`` has that module."""
    folders = {path.parent.name for path in (ROOT / "pipelines").glob("*/definitions.py")}
    assert folders == set(AREAS)


def test_layers_import_only_downwards() -> None:
    assert layer_violations() == []


def test_no_module_imports_a_private_name_of_another() -> None:
    assert private_imports() == []


def test_no_import_cycle() -> None:
    assert cycles() == []


def test_only_the_settings_read_aisi_variables() -> None:
    assert settings_reads() == []


def test_the_checks_catch_what_they_guard(tmp_path: Path, monkeypatch) -> None:
    """Each rule fails on a module written to break it: the checks above cannot pass vacuously."""
    fake = {
        "core.low": "import dagster\nfrom pipelines.catalog.job import merge\nfrom core.high import _hidden\n",
        "core.high": "from core.low import x\nimport os\nos.environ.get('AISI_HOME')\n",
        "api.app": "from pipelines.catalog.definitions import definitions\n",
        "pipelines.catalog.job": "from pipelines.notify.definitions import x\n",
        "pipelines.notify.definitions": "from pipelines.resources.defaults import shared_resources\n",
        "pipelines.resources.defaults": "",
        "pipelines.catalog.definitions": "",
    }
    for name, text in fake.items():
        path = tmp_path / (name.replace(".", "/") + ".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    modules.cache_clear()
    try:
        layers = layer_violations()
        assert any("core.low:1 imports dagster" in p for p in layers)
        assert any("core.low:2 imports pipelines.catalog.job" in p for p in layers)
        assert any(p.startswith("api.app:1") for p in layers)
        assert any(p.startswith("pipelines.catalog.job:1") and "another area" in p for p in layers)
        assert not any(p.startswith("pipelines.notify") for p in layers)
        assert private_imports() == ["core.low:3 imports _hidden from core.high"]
        assert cycles() == [["core.high", "core.low"]]
        assert settings_reads() == ["core.high:3"]
    finally:
        modules.cache_clear()


def test_the_code_version_still_covers_files_after_a_move() -> None:
    """Each pattern of the derived assets' code version finds a file: a module moved without its
    pattern would silently drop out of the version."""
    from core.code_version import DERIVATION_FILES

    assert [p for p in DERIVATION_FILES if not any(path.is_file() for path in ROOT.glob(p))] == []
