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
    assert missing == [], "\n".join(missing)


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


# Files that live only beside a clone, never in it, and the files that really read them
# there: the shared spec, which docs/REGULATIONS.md copies and the catalog tests compare.
BESIDE_THE_CLONE = {
    "../shared/REGULATIONS.md": {"tests/test_catalog.py", "tests/test_docs.py"},
}
VENDORED = ROOT / "docs" / "REGULATIONS.md"  # a byte-for-byte copy, its text not ours
# Names the docs use for a reader's own file in an example command.
EXAMPLE_FILES = {"history.csv"}

# Comments outside Python: templates, style sheets, scripts and the .po fragments.
TEMPLATE_COMMENT = re.compile(
    r"\{#(.*?)#\}|<!--(.*?)-->|\{% comment %\}(.*?)\{% endcomment %\}", re.S
)
BLOCK_COMMENT = re.compile(r"/\*(.*?)\*/", re.S)
LINE_COMMENT = re.compile(r"(?<![:\\\w\"'])//([^\n]*)")
PO_COMMENT = re.compile(r"^#(?!~)(.*)$", re.M)
URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+")


def _comments_in(suffix: str, text: str) -> list[tuple[int, str]]:
    """The comments of a non-Python source, each with the line it starts on."""
    if suffix in {".html", ".txt"}:
        patterns = [TEMPLATE_COMMENT]
    elif suffix == ".css":
        patterns = [BLOCK_COMMENT]
    elif suffix == ".js":
        patterns = [BLOCK_COMMENT, LINE_COMMENT]
    elif suffix == ".po":
        patterns = [PO_COMMENT]
    else:
        raise ValueError(suffix)
    return [
        (text.count("\n", 0, match.start()) + 1, "".join(g for g in match.groups() if g))
        for pattern in patterns
        for match in pattern.finditer(text)
    ]


def _non_python_sources() -> list[Path]:
    return [
        *sorted((ROOT / "templates").rglob("*.html")),
        *sorted((ROOT / "templates").rglob("*.txt")),
        *sorted((ROOT / "templates").rglob("*.css")),
        *sorted((ROOT / "static").rglob("*.css")),
        *sorted((ROOT / "static").rglob("*.js")),
        *sorted((ROOT / "cases" / "locale" / "fragments").glob("*.po")),
    ]


def _exists(name: str, basenames: set[str], where: str = "") -> bool:
    if name in BESIDE_THE_CLONE:
        return where in BESIDE_THE_CLONE[name]
    if "/" not in name:
        return name in basenames
    return any((ROOT / base / name).exists() for base in SEARCH_ROOTS)


def _repository_basenames() -> set[str]:
    return {p.name for p in ROOT.rglob("*") if not {".venv", ".git", "node_modules"} & set(p.parts)}


def _missing_names(where: str, found: list[tuple[int, str]], basenames: set[str]) -> list[str]:
    return [
        f"{where}:{line}: {name}"
        for line, text in found
        for name in FILE_TOKEN.findall(URL.sub("", text))
        if not _exists(name, basenames, where)
    ]


def test_no_comment_or_docstring_names_a_file_that_is_not_in_the_repository() -> None:
    basenames = _repository_basenames()
    missing = []
    for folder in PY_SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts or "node_modules" in path.parts:
                continue
            where = str(path.relative_to(ROOT))
            missing += _missing_names(where, _comments_and_docstrings(path), basenames)
    for path in _non_python_sources():
        text = path.read_text(encoding="utf-8")
        where = str(path.relative_to(ROOT))
        missing += _missing_names(where, _comments_in(path.suffix, text), basenames)
    assert missing == [], "\n".join(missing)


def test_no_doc_names_a_file_that_is_not_in_the_repository() -> None:
    """Plain mentions too, not only links: ``see REGULATIONS.md`` needs the file here."""
    basenames = _repository_basenames()
    missing = []
    for page in PAGES:
        if page == VENDORED:
            continue  # the shared spec's own text (its sources' addresses have no scheme)
        text = page.read_text(encoding="utf-8")
        found = [(n + 1, line) for n, line in enumerate(text.splitlines())]
        missing += [
            problem
            for problem in _missing_names(str(page.relative_to(ROOT)), found, basenames)
            if not problem.split(": ", 1)[1].startswith(GENERATED)
            and problem.split(": ", 1)[1] not in EXAMPLE_FILES
        ]
    assert missing == [], "\n".join(missing)


def test_the_comment_readers_see_every_kind_of_comment() -> None:
    """Each reader finds a name in its kind of comment, and none in the code around it."""
    samples = {
        ".html": "{# a.md #} <p>code.md</p> <!-- b.md --> {% comment %}\nc.md{% endcomment %}",
        ".txt": "{# a.md #} code.md {# c.md #}",
        ".css": "/* a.md\n b.md */ p { color: red; } /* c.md */",
        ".js": '// a.md\nvar u = "https://x.org/code.js"; /* b.md */ f(); // c.md',
        ".po": '# a.md\n#: b.md:3\nmsgid "code.md"\n#, python-format\n# c.md',
    }
    for suffix, text in samples.items():
        names = {
            n for _, c in _comments_in(suffix, text) for n in FILE_TOKEN.findall(URL.sub("", c))
        }
        assert {"a.md", "c.md"} <= names and "code.md" not in names and "code.js" not in names, (
            suffix,
            names,
        )
    assert _comments_in(".html", "x\n\n{# z.md #}") == [(3, " z.md ")]
    # A file beside the clone is named only where it is really read from there.
    assert _exists("../shared/REGULATIONS.md", set(), "tests/test_catalog.py")
    assert not _exists("../shared/REGULATIONS.md", set(), "cases/web/cases.py")
    assert not _exists("../shared/OTHER.md", set(), "tests/test_catalog.py")


# --- the vendored domain specification ---------------------------------------------------

SHARED_SPEC = ROOT.parent / "shared" / "REGULATIONS.md"


def test_the_vendored_regulations_are_a_byte_for_byte_copy_of_the_shared_spec() -> None:
    """docs/REGULATIONS.md is the spec the comments cite; beside a clone that has the shared
    folder (../shared/REGULATIONS.md) the two must be equal, so the copy never drifts."""
    assert VENDORED.read_bytes().startswith(b"# Domain specification")
    if SHARED_SPEC.exists():
        assert VENDORED.read_bytes() == SHARED_SPEC.read_bytes(), (
            "copy ../shared/REGULATIONS.md to docs/REGULATIONS.md"
        )
