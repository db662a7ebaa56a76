"""The README and docs/ stay short, linked, complete and true to the code."""

from __future__ import annotations

import ast
import importlib
import io
import pkgutil
import re
import tokenize
from pathlib import Path

from django.conf import settings

import cases
from cases.catalog.reference import github_slug, render_reference

ROOT = Path(settings.BASE_DIR)
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [ROOT / "README.md", *DOCS]
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} (.+?)\s*$", re.M)
GUNICORN_CONF = ROOT / "cadre_exit" / "gunicorn_conf.py"
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


def _environment_reads(path: Path) -> dict[str, str | None]:
    """The environment variables a module reads, each with its default as the docs write
    it (``1``/``0`` for booleans, ``a,b`` for lists, ``empty``), or None when the default
    is computed (``as DEBUG``, a path under ``var/``) or there is none."""
    reads: dict[str, str | None] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
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
            default = _as_documented(node.args[1]) if len(node.args) > 1 else None
            reads[first.value] = default if reads.get(first.value, default) == default else None
    return reads


def _as_documented(node: ast.expr) -> str | None:
    try:
        value = _constant(node)
    except ValueError:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "empty"
    return str(value) if value != "" else "empty"


def _constant(node: ast.expr) -> object:
    """A literal, or integer arithmetic on literals (``15 * 60``)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Add)):
        left, right = _constant(node.left), _constant(node.right)
        if isinstance(left, int) and isinstance(right, int):
            return left * right if isinstance(node.op, ast.Mult) else left + right
        raise ValueError(ast.unparse(node))
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise ValueError(ast.unparse(node)) from None


def _settings_variables() -> set[str]:
    return set(_environment_reads(ROOT / "cadre_exit" / "settings.py"))


def _every_environment_read() -> dict[str, str | None]:
    """Every variable the project reads: settings, gunicorn's config, and the few modules
    that read the environment themselves (the SoftHSM2 configuration, the test hook)."""
    reads: dict[str, str | None] = {}
    for path in sorted([*(ROOT / "cadre_exit").rglob("*.py"), *(ROOT / "cases").rglob("*.py")]):
        for name, default in _environment_reads(path).items():
            reads[name] = default if reads.get(name, default) == default else None
    return reads


DOC_ROW = re.compile(r"^\| ((?:`[A-Z][A-Z0-9_]+`(?:, )?)+) \| ([^|]*) \|", re.M)


def _documented_variables() -> dict[str, str]:
    """The first two cells of each variable row of docs/operations.md: name → default;
    a row of two variables (`A`, `B` | `x`, `y`) gives each its own default."""
    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    rows: dict[str, str] = {}
    for names_cell, default_cell in DOC_ROW.findall(doc):
        names = re.findall(r"`([A-Z0-9_]+)`", names_cell)
        defaults = default_cell.strip().split(", ")
        if len(names) > 1 and len(defaults) == len(names):
            rows.update(zip(names, defaults, strict=True))
        else:
            rows.update(dict.fromkeys(names, default_cell.strip()))
    return rows


def _documented_default(cell: str) -> str | None:
    """``5`` → 5, ``empty`` → empty, ``10 MiB`` → bytes; None for a sentence."""
    if re.fullmatch(r"`[^`]*`", cell):
        return cell.strip("`")
    if cell == "empty":
        return "empty"
    if mib := re.fullmatch(r"(\d+) MiB", cell):
        return str(int(mib.group(1)) * 1024 * 1024)
    return None


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


CODE_REFERENCE = re.compile(r"`([a-z_][\w]*(?:[./][A-Za-z_]\w*)+)`")
FILE_SUFFIXES = {"py", "md", "html", "json", "jsonl", "txt", "css", "js", "yml", "yaml", "toml",
                 "sh", "po", "mo", "csv", "pdf", "pem", "keys", "conf", "so", "sqlite3", "ts"}  # fmt: skip


def _project_modules() -> dict[str, str]:
    """Every module of the project by its dotted name and by each dotted tail of it
    (``web_ui`` → ``cases.templatetags.web_ui``); a tail two modules share is dropped."""
    names = [m.name for m in pkgutil.walk_packages(cases.__path__, "cases.")] + ["cases"]
    names += ["cadre_exit.settings", "cadre_exit.celery", "cadre_exit.urls"]
    by_tail: dict[str, str] = {}
    ambiguous = set()
    for name in names:
        parts = name.split(".")
        for start in range(len(parts)):
            tail = ".".join(parts[start:])
            if tail in by_tail and by_tail[tail] != name:
                ambiguous.add(tail)
            by_tail[tail] = name
    found = {tail: name for tail, name in by_tail.items() if tail not in ambiguous}
    # The house import, `from cases.workflow import engine as workflow`: `workflow.perform`.
    return {**found, "workflow": "cases.workflow.engine"}


def _unresolved(reference: str, modules: dict[str, str]) -> str | None:
    """None when ``reference`` is not a code reference or resolves; else what is missing."""
    parts = reference.replace("/", ".").split(".")
    if parts[-1] in FILE_SUFFIXES:
        return None  # a file name (`cases/tasks.py`), checked by the path tests
    for cut in range(len(parts) - 1, 0, -1):
        module = modules.get(".".join(parts[:cut]))
        if module is None:
            continue
        target: object = importlib.import_module(module)
        for attribute in parts[cut:]:
            if not hasattr(target, attribute):
                return f"{module} has no {'.'.join(parts[cut:])}"
            target = getattr(target, attribute)
        return None
    return None


def test_every_code_name_the_docs_give_exists() -> None:
    """`web/common.EVENT_LABELS`, `audit.events.EventType`: a module of the project and
    a name in it; a renamed or removed name fails here instead of misleading a reader."""
    modules = _project_modules()
    assert modules["web_ui"] == "cases.templatetags.web_ui"
    missing = [
        f"{page.name}: `{reference}`: {problem}"
        for page in PAGES
        if page != VENDORED
        for reference in CODE_REFERENCE.findall(page.read_text(encoding="utf-8"))
        if (problem := _unresolved(reference, modules))
    ]
    assert missing == [], "\n".join(missing)
    assert _unresolved("web/common.EVENT_LABELS", modules)  # the check can fail
    assert _unresolved("audit.events.EventType", modules) is None
    assert _unresolved("workflow.perform", modules) is None
    assert _unresolved("workflow.engine.perform", modules) is None
    assert _unresolved("workflow.perform_it", modules)


def test_the_operations_doc_lists_every_environment_variable_settings_read() -> None:
    variables = _settings_variables() | set(_environment_reads(GUNICORN_CONF))
    assert len(variables) > 20 and "GUNICORN_WORKERS" in variables  # the parse found them
    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert sorted(v for v in variables if f"`{v}`" not in doc) == []


def test_every_variable_the_operations_doc_lists_is_read_by_the_code() -> None:
    documented = _documented_variables()
    assert {"DEBUG", "EMAIL_PORT", "GUNICORN_BIND", "CADRE_PUBLIC_BASE_URL"} <= set(documented)
    read = _every_environment_read()
    assert sorted(set(documented) - set(read)) == []


def test_the_documented_defaults_are_the_codes_defaults() -> None:
    read = _every_environment_read()
    compared, wrong = 0, []
    for name, cell in _documented_variables().items():
        documented, actual = _documented_default(cell), read.get(name)
        if documented is None or actual is None:
            continue  # a sentence ("as `DEBUG`") or a computed default (a path under var/)
        compared += 1
        if documented != actual:
            wrong.append(f"{name}: the doc says {documented}, the code {actual}")
    assert wrong == []
    assert compared > 40  # most rows are checked, not skipped


def _make_test_steps() -> list[str]:
    """What `make test` runs, read from the Makefile: its prerequisites, then each command
    of its recipe by name (``$(BIN)/python manage.py check`` → ``check``)."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = re.search(r"^test: (.*)\n((?:\t.*\n)+)", makefile, re.M)
    assert target, "no test target in the Makefile"
    steps = [p for p in target.group(1).split() if p != "install"]
    for line in target.group(2).splitlines():
        words = line.strip().replace("$(BIN)/", "").split()
        if words[:2] == ["python", "manage.py"]:
            words = words[2:]
        name = []
        for word in words:
            if word.startswith(("-", ".")):
                break
            name.append(word)
        steps.append(" ".join(name))
    return steps


def test_the_testing_doc_names_everything_make_test_runs() -> None:
    steps = _make_test_steps()
    assert {"mypy", "lint-imports", "signing_keys token", "pytest", "a11y-deps"} <= set(steps)
    doc = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
    quoted = " ".join(re.findall(r"`([^`]+)`", doc))
    assert [step for step in steps if step not in quoted] == []


def test_the_rule_reference_is_fresh() -> None:
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == render_reference(), "run: python manage.py catalog_doc"


def test_no_test_sets_a_setting_the_project_does_not_have() -> None:
    """A test that sets a setting nothing defines tests nothing (a renamed lock-out limit
    stayed in the bad-input sweep after #16)."""
    unknown = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Assign):
                names = [
                    t.attr
                    for t in node.targets
                    if isinstance(t, ast.Attribute) and getattr(t.value, "id", "") == "settings"
                ]
            elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "override_settings":
                names = [k.arg for k in node.keywords if k.arg]
            unknown += [
                f"{path.name}:{node.lineno}: {name}"
                for name in names
                if name.isupper() and not hasattr(settings, name)
            ]
    assert unknown == []


def test_a_time_limit_without_days_reads_in_both_languages() -> None:
    reference = render_reference()
    assert "** None " not in reference  # "None none", "None sitting": a missing number printed
    assert "**TL-260-0** không quy định thời hạn / no time limit —" in reference
    for sitting in ("TL-NQ96-1", "TL-NQ96-2", "TL-LGL25-1"):
        assert f"**{sitting}** tại kỳ họp / at a sitting —" in reference
    assert "**TL-41-1** 10 working days" in reference  # a limit with days is unchanged


def test_a_multi_line_review_note_stays_inside_its_list_item() -> None:
    """Each line of the reference is a heading, a list item, a blank line or a paragraph
    after a blank line: a note's second line at column 0 would end the list."""
    lines = render_reference().splitlines()
    broken = [
        f"{number}: {line}"
        for number, (before, line) in enumerate(zip(lines, lines[1:], strict=False), start=2)
        if line
        and not line.startswith((" ", "#", "- "))
        and not re.match(r"\d+\. ", line)
        and before.lstrip().startswith(("- ", "1", "2", "3", "4", "5", "6", "7", "8", "9"))
    ]
    assert broken == []
    note = next(i for i, line in enumerate(lines) if line.startswith("- **R260-D-2c**"))
    assert lines[note + 4 : note + 6] == [
        "    - VI: Nội dung chưa được xác minh vì các nguồn tham khảo đều bị cắt sau điểm b.",
        "    - EN: Not verified: every source consulted is cut off after R260-D-2b.",
    ]


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
