"""The layout is the architecture: no import cycle, and no layer imports one above it.

    checker  <-  drafting  <-  batch  <-  connectors  <-  web
    (privacy, settings, errors, schemas, store, playbook: used by any layer)

Imports made only for type checking do not count; imports inside functions do (a cycle there
still fails at run time)."""

import ast
from pathlib import Path

SERVICE = Path(__file__).resolve().parent.parent / "service"
# what each package may import from the others (besides the shared top-level modules)
ALLOWED = {
    "checker": {"checker", "drafting"},  # grounding reads the policy, triage and prompts
    "drafting": {"drafting", "checker", "privacy"},
    "privacy": {"privacy"},
    "batch": {"batch", "checker", "drafting", "privacy"},
    # a connector drafts through the pipeline, and reads helpdesk bodies with the exports' helpers
    "connectors": {"connectors", "drafting", "checker", "batch", "privacy"},
    "web": {"web", "checker", "drafting", "batch", "connectors", "privacy"},
    "eval": {"eval", "checker", "drafting", "batch", "privacy"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SERVICE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(".", 1)[0]
    found: set[str] = set()

    def visit(node, typing_only=False):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("service"):
                found.add(target)
                for alias in node.names:  # "from . import store" imports a module
                    candidate = f"{target}.{alias.name}"
                    if (SERVICE.parent / candidate.replace(".", "/")).with_suffix(".py").exists():
                        found.add(candidate)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("service"))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


GRAPH = {module_name(p): imports(p) for p in SERVICE.rglob("*.py")}


def test_no_import_cycle():
    modules = set(GRAPH)
    edges = {m: {t for t in targets if t in modules and t != m} for m, targets in GRAPH.items()}
    state: dict[str, int] = {}
    path: list[str] = []

    def walk(m):
        state[m] = 1
        path.append(m)
        for t in edges[m]:
            if state.get(t) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(t):] + [t]))
            if t not in state:
                walk(t)
        path.pop()
        state[m] = 2

    for m in sorted(modules):
        if m not in state:
            walk(m)


def test_no_layer_imports_one_above_it():
    wrong = []
    for module, targets in GRAPH.items():
        parts = module.split(".")
        layer = parts[1] if len(parts) > 2 or (len(parts) == 2 and (SERVICE / parts[1]).is_dir()) else None
        if layer not in ALLOWED:
            continue
        for t in targets:
            tparts = t.split(".")
            if len(tparts) > 1 and (SERVICE / tparts[1]).is_dir() and tparts[1] not in ALLOWED[layer]:
                wrong.append(f"{module} imports {t}")
    assert not wrong, wrong


def test_nothing_below_the_cli_and_app_reads_the_environment_for_settings():
    """The one configuration path: TACTFUL_* is read only by settings.py."""
    readers = [str(p.relative_to(SERVICE)) for p in SERVICE.rglob("*.py")
               if "TACTFUL_" in p.read_text(encoding="utf-8") and "os.environ" in p.read_text(encoding="utf-8")
               and p.name not in ("settings.py", "cli.py")]
    assert readers == [], readers
