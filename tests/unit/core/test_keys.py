"""The Redis key registry is the only place that spells a key, and docs/architecture.md shows it as it is."""
import ast
from pathlib import Path

from hotline.core import keys
from hotline.core.config import PROJECT_DIR

PACKAGES = ("hotline", "ivr", "telephony", "asr")


def _string_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_no_key_is_spelled_outside_the_registry():
    found = []
    for package in PACKAGES:
        for path in sorted((PROJECT_DIR / package).rglob("*.py")):
            if path == Path(keys.__file__):
                continue
            found += [f"{path.relative_to(PROJECT_DIR)}:{line}: {text[:60]!r}"
                      for line, text in _string_literals(path) if text.startswith(keys.PREFIX)]
    assert found == []


def test_every_key_has_one_owner_and_a_unique_pattern():
    patterns = [k.pattern for k in keys.REGISTRY]
    assert len(patterns) == len(set(patterns))
    assert all(k.pattern.startswith(keys.PREFIX) for k in keys.REGISTRY)
    assert {k.owner for k in keys.REGISTRY} <= {"ivr", "tickets", "agents", "auth", "supervision", "admin", "kb",
                                                "reports", "survey", "dispatch", "callback"}


def test_architecture_doc_shows_the_registry():
    doc = (PROJECT_DIR / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert keys.markdown_table() in doc, "regenerate with: python -m hotline.core.keys"


def test_key_formats_its_parts():
    assert keys.CALL(call_id="c-1") == "hotline:call:c-1"
    assert str(keys.TICKETS) == "hotline:tickets"
