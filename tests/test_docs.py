"""The README and docs/ stay short, linked, complete and true to the code."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

from django.conf import settings

from cases.catalog.reference import github_slug, render_reference

ROOT = Path(settings.BASE_DIR)
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [ROOT / "README.md", *DOCS]
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} (.+?)\s*$", re.M)
ENV_HELPERS = {"env_str", "env_bool", "env_int", "env_list", "env_choice", "env_float", "env_path"}


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return {github_slug(h) for h in HEADING.findall(text)}


def test_readme_is_short() -> None:
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 170


def test_readme_gives_the_two_commands_and_links_every_doc() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    linked = {Path(target.split("#")[0]).name for target in LINK.findall(readme)}
    assert {page.name for page in DOCS} <= linked


def test_every_link_in_the_readme_and_docs_resolves() -> None:
    broken = []
    for page in PAGES:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target):  # http:, https:, mailto:
                continue
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            if not dest.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert broken == []


def _settings_variables() -> set[str]:
    tree = ast.parse((ROOT / "cadre_exit" / "settings.py").read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        called = (
            func.id
            if isinstance(func, ast.Name)
            else func.attr
            if isinstance(func, ast.Attribute)
            else ""
        )
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        environ_get = called == "get" and "environ" in ast.unparse(func)
        if called in ENV_HELPERS or environ_get or called == "getenv":
            names.add(first.value)
    return names


REPO_PATH = re.compile(
    r"`((?:cases|cadre_exit|templates|static|tests|bench|fixtures|docs)/[\w./-]*)`"
)


GENERATED = ("bench/results/",)  # written by the tools, never tracked


def test_every_repository_path_the_docs_name_exists() -> None:
    missing = [
        f"{page.name}: {name}"
        for page in PAGES
        for name in REPO_PATH.findall(page.read_text(encoding="utf-8"))
        if "*" not in name and not name.startswith(GENERATED) and not (ROOT / name).exists()
    ]
    assert missing == []


def test_the_operations_doc_lists_every_environment_variable_settings_read() -> None:
    variables = _settings_variables()
    assert len(variables) > 20  # the parse found the helpers
    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert sorted(v for v in variables if f"`{v}`" not in doc) == []


def test_the_rule_reference_is_fresh() -> None:
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == render_reference(), "run: python manage.py catalog_doc"


# --- comments and docstrings name only files that exist ------------------------------

FILE_TOKEN = re.compile(
    r"(?<![\w/.<*{-])((?:\.\./)?(?:[\w.-]+/)*[\w-]+\.(?:py|md|html|json|txt|css|js|ya?ml|toml|sh|po|csv))(?![\w/*])"
)
SEARCH_ROOTS = (
    "",
    "templates",
    "static",
    "cases",
    "tests",
    "fixtures/catalog",
    "cases/management/commands",
)
PY_SOURCES = ("cases", "cadre_exit", "bench", "tests")


def _comments_and_docstrings(path: Path) -> list[tuple[int, str]]:
    source = path.read_text(encoding="utf-8")
    found = [
        (tok.start[0], tok.string)
        for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type == tokenize.COMMENT
    ]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                found.append((node.body[0].lineno, doc))
    return found


def _exists(name: str, basenames: set[str]) -> bool:
    if name.startswith("../shared/"):
        return True  # the steering folder's spec, read by the catalog tests when beside a clone
    if "/" not in name:
        return name in basenames
    return any((ROOT / base / name).exists() for base in SEARCH_ROOTS)


def test_no_comment_or_docstring_names_a_file_that_is_not_in_the_repository() -> None:
    basenames = {
        p.name for p in ROOT.rglob("*") if ".venv" not in p.parts and ".git" not in p.parts
    }
    missing = []
    for folder in PY_SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for line, text in _comments_and_docstrings(path):
                for name in FILE_TOKEN.findall(text):
                    if not _exists(name, basenames):
                        missing.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert missing == []
