"""The house plan stays whole: every module of the six first-party packages is named by an
import-linter contract (a layer of a layers contract, or a module of an independence contract), so
`lint-imports` holds it to a direction. No database, no Django: the files and pyproject.toml are
read as text.

Migrations are left out: Django runs them by name, no module imports them, and they are frozen
history rather than rooms of the house.
"""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
PACKAGES = tuple(CONFIG["root_packages"])


def _modules() -> set[str]:
    """Every first-party module by its dotted name (a package by its folder), migrations left out."""
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if len(parts) > 1:  # the root packages themselves are what the contracts divide
                found.add(".".join(parts))
    return found


def _named() -> set[str]:
    """The modules the contracts name: the layers (inside their containers) and the independent
    modules."""
    named = set()
    for contract in CONFIG["contracts"]:
        if contract["type"] == "layers":
            containers = contract.get("containers", [""])
            for layer in contract["layers"]:
                for name in layer.replace("|", ":").split(":"):
                    named |= {f"{container}.{name.strip()}".lstrip(".") for container in containers}
        elif contract["type"] == "independence":
            named |= set(contract["modules"])
    return named


def _covered(module: str, named: set[str]) -> bool:
    """Named itself, or inside a named package."""
    parts = module.split(".")
    return any(".".join(parts[:end]) in named for end in range(1, len(parts) + 1))


def test_the_check_sees_the_packages_and_the_contracts():
    modules, named = _modules(), _named()
    assert {"casework.http.middleware", "workflows.inbox", "signin.events", "casework.settings.core"} <= modules
    assert not any(".migrations" in module for module in modules)
    assert {"casework.urls", "teams", "signin.models", "casework.settings"} <= named


def test_every_module_is_in_a_contract():
    named = _named()
    outside = sorted(module for module in _modules() if not _covered(module, named))
    assert not outside, f"modules in no import-linter contract (pyproject.toml): {outside}"


def test_every_named_module_exists():
    """A layer that names nothing (a moved or renamed module) checks nothing."""
    modules = _modules() | set(PACKAGES)
    missing = sorted(name for name in _named() if name not in modules)
    assert not missing, f"contracts name modules that do not exist: {missing}"
