"""The import layers of STYLE.md hold: the bottom never imports the top, nothing imports the edges."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import seawall

SRC = Path(seawall.__file__).resolve().parent

# Each package (or module) may import only from these seawall packages (besides itself).
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "config": {"alerts", "drift", "review"},  # their pure config models only
    "configload": {"config"},
    "configdoc": {"config"},
    "resilience": {"config", "core"},
    "state": {"config", "core", "resilience"},
    "providers": {"config", "core", "sim"},
    "sim": {"config", "core", "providers"},
    "telemetry": {"config", "core"},
    "store": {"config", "core", "telemetry"},
    "stages": {
        "config",
        "core",
        "guards",
        "limits",
        "review",
        "providers",
        "resilience",
        "state",
        "telemetry",
    },
    "pipeline": {
        "config",
        "core",
        "guards",
        "limits",
        "providers",
        "review",
        "stages",
        "state",
        "telemetry",
    },
    "sinks": {"alerts", "core", "drift", "limits", "review", "security"},
    "wiring": {
        "alerts",
        "config",
        "drift",
        "releases",
        "configload",
        "core",
        "limits",
        "pipeline",
        "providers",
        "review",
        "security",
        "sinks",
        "stages",
        "state",
        "store",
        "telemetry",
    },
    "inprocess": {"config", "configload", "core", "pipeline", "stages", "telemetry", "wiring"},
    "http": {
        "config",
        "dashboard",
        "core",
        "pipeline",
        "prompts",
        "releases",
        "review",
        "security",
        "stages",
        "store",
        "telemetry",
        "wiring",
    },
    "guards": {"config", "core"},
    "security": {"config", "core", "store"},
    "limits": {"config", "core", "state"},
    "cost": {"config", "core", "store", "telemetry"},
    "prompts": {"config", "core", "store", "telemetry"},
    "releases": {"config", "core", "prompts", "store", "telemetry"},
    "alerts": {"config", "core", "store", "telemetry"},
    "drift": {"config", "core", "store", "telemetry"},
    "review": {"config", "core", "store", "telemetry"},
    "evals": {
        "config",
        "configload",
        "core",
        "inprocess",
        "prompts",
        "stages",
        "store",
        "telemetry",
        "wiring",
    },
}


def seawall_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "seawall" and len(parts) > 1:
                found.add(parts[1])
    return found


def test_import_layers() -> None:
    problems = []
    for path in SRC.rglob("*.py"):
        layer = path.relative_to(SRC).parts[0].removesuffix(".py")
        if layer not in ALLOWED:
            continue  # cli and the package root are the edges: they may import anything
        for imported in seawall_imports(path) - {layer} - ALLOWED[layer]:
            problems.append(f"{path.relative_to(SRC)} imports seawall.{imported}")
    assert not problems, "\n".join(problems)


def test_every_module_imports_on_its_own() -> None:
    modules = sorted(
        "seawall." + ".".join(p.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        for p in SRC.rglob("*.py")
        if p.name != "__main__.py" and "migrations" not in p.parts
    )
    # One fresh interpreter imports each module after a clean sys.modules snapshot.
    script = (
        "import importlib, sys\n"
        "base = set(sys.modules)\n"
        f"for name in {modules!r}:\n"
        "    for loaded in set(sys.modules) - base:\n"
        "        if loaded.startswith('seawall'): del sys.modules[loaded]\n"
        "    importlib.import_module(name)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr


def test_public_api() -> None:
    assert seawall.__all__ == ["ChatResult", "Seawall", "__version__"]
    for name in seawall.__all__:
        assert hasattr(seawall, name)
