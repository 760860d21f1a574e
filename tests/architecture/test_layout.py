"""The shape of the code: the arrows run one way, and each part of the product has its folder."""

from __future__ import annotations

from .imports import ROOT, cycles, import_graph

PURE_CORE = ("tracker.rules", "tracker.codes")
ADAPTERS = ("sqlalchemy", "sqlmodel", "fastapi", "prefect", "httpx", "twilio", "tracker.store",
            "tracker.web", "tracker.payers", "flows", "notifications")


def test_no_module_imports_itself_back_through_others() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


# docs/architecture.md's table, top to bottom: a part may import only the parts after it.
LAYERS = ("tracker.cli", "tracker.practice", "flows", "tracker.web", "notifications",
          "tracker.figures", "tracker.authorizations", "tracker.money", "tracker.visits",
          "tracker.importers",
          "tracker.scheduling",
          "tracker.payers", "tracker.packages", "tracker.store", "tracker.rules", "tracker.codes",
          "policies")
ROOT_MODULES = ("tracker", "tracker.settings", "tracker.errors", "tracker.dates", "tracker.roles")


def _part(module: str) -> str:
    if module in ROOT_MODULES:
        return "root"
    return next(layer for layer in LAYERS if module == layer or module.startswith(layer + "."))


def test_every_part_imports_only_the_parts_below_it() -> None:
    upward = sorted(f"{module} -> {target}" for module, targets in import_graph().items()
                    for target in targets
                    if _part(target) != "root" and _part(module) != "root"
                    and LAYERS.index(_part(target)) < LAYERS.index(_part(module)))
    assert upward == []


def test_the_root_modules_import_nothing_of_the_parts() -> None:
    assert {m: t for m, t in import_graph().items()
            if m in ROOT_MODULES and any(_part(x) != "root" for x in t)} == {}


def test_nothing_imports_the_flows() -> None:
    importers = {module for module, targets in import_graph().items()
                 if not module.startswith("flows") and any(t.startswith("flows") for t in targets)}
    assert importers == set()


def test_the_engine_and_catalog_import_no_adapter() -> None:
    import ast

    offenders = []
    for package in PURE_CORE:
        for path in (ROOT / package.replace(".", "/")).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                else:
                    continue
                offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names
                              if n.startswith(ADAPTERS)]
    assert offenders == []


def test_at_most_six_modules_stay_at_the_root_of_tracker() -> None:
    loose = sorted(p.name for p in (ROOT / "tracker").glob("*.py"))
    assert len(loose) <= 6, loose


def test_no_module_exists_only_to_hold_arguments() -> None:
    assert sorted(str(p.relative_to(ROOT)) for p in ROOT.rglob("*_arguments.py")
                  if ".venv" not in p.parts) == []
