"""The tree keeps one direction of dependency, and needs no deferred import to do so."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from celery import current_app

from cases.core import enqueue, signals
from cases.notifications import notices
from tests import celery_support

eager_tasks = celery_support.eager_tasks  # the shared fixture

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# Imports left inside a function on purpose, each with why; none of them breaks a circle.
DEFERRED_IMPORTS = {
    # AppConfig.ready imports modules for what importing them does (registers the tasks,
    # connects the signal receivers), once every model is loaded: Django's own pattern.
    ("cases/apps.py", "cases"),
    ("cases/apps.py", "cases.notifications"),
    ("cases/apps.py", "cases.security"),
    ("cases/apps.py", "cases.refdata"),  # connects the reference caches' invalidation
    # LOGGING imports the middleware module for its log filter before the apps load.
    ("cases/security/middleware.py", "cases.security"),
}


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd)},
    )


def test_the_layers_contract_is_kept_by_the_tree() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_the_layers_contract_fails_on_a_new_upward_import(tmp_path: Path) -> None:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(
        ROOT / "cases", tmp_path / "cases", ignore=shutil.ignore_patterns("__pycache__", "locale")
    )
    engine = tmp_path / "cases" / "workflow" / "engine.py"
    # The engine telling notifications directly, instead of by a signal:
    engine.write_text(
        engine.read_text(encoding="utf-8") + "\nfrom cases.notifications import notices\n",
        encoding="utf-8",
    )
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 kept, 1 broken" in result.stdout
    assert "cases.workflow.engine -> cases.notifications.notices" in result.stdout


def _function_body_imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom):
                    found.append((inner.lineno, inner.module or ""))
                elif isinstance(inner, ast.Import):
                    found.extend((inner.lineno, alias.name) for alias in inner.names)
    return found


def test_no_module_of_the_app_imports_inside_a_function_body() -> None:
    unexpected = []
    for path in sorted((ROOT / "cases").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/migrations/" in relative:
            continue
        for line, module in _function_body_imports(path):
            if (relative, module) not in DEFERRED_IMPORTS:
                unexpected.append(f"{relative}:{line} imports {module}")
    assert unexpected == []


def test_every_task_enqueued_by_name_is_registered() -> None:
    assert enqueue.TASK_NAMES
    for name in enqueue.TASK_NAMES:
        assert current_app.tasks[name].name == name


def test_enqueue_refuses_a_task_name_that_is_not_registered() -> None:
    with pytest.raises(KeyError):
        enqueue.enqueue("cases.tasks.no_such_task", 1)


@pytest.mark.parametrize(
    ("signal", "function", "argument"),
    [
        # These two through their Celery task (run in this process here).
        (signals.step_started, "tell_step_started", "step_id"),
        (signals.case_decided, "tell_case_decided", "case_id"),
        (signals.decision_issued, "decision_issued", "document_id"),
    ],
)
@pytest.mark.usefixtures("eager_tasks")
def test_notifications_hear_each_signal_of_the_layers_below(
    monkeypatch: pytest.MonkeyPatch, signal: Any, function: str, argument: str
) -> None:
    heard: list[int] = []
    monkeypatch.setattr(notices, function, heard.append)
    signal.send(sender=None, **{argument: 41})
    assert heard == [41]


def test_every_setting_the_code_reads_is_declared_in_settings_py() -> None:
    from django.conf import global_settings

    declared = set()
    tree = ast.parse((ROOT / "cadre_exit" / "settings.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        declared.update(t.id for t in targets if isinstance(t, ast.Name))
    undeclared = set()
    for path in sorted((ROOT / "cases").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "settings"
                and node.attr.isupper()
                and node.attr not in declared
                and not hasattr(global_settings, node.attr)
            ):
                undeclared.add(f"{path.relative_to(ROOT)}: {node.attr}")
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") == "getattr"
                and node.args
                and getattr(node.args[0], "id", "") == "settings"
            ):
                undeclared.add(f"{path.relative_to(ROOT)}: getattr(settings, …)")
    assert undeclared == set()


def test_no_test_module_imports_another_test_module_or_reads_the_host_clock() -> None:
    problems = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            module = ""
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
            elif isinstance(node, ast.Import):
                module = ",".join(alias.name for alias in node.names)
            elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__":
                module = "__import__"
            if module == "__import__" or "tests.test_" in module:
                problems.append(f"{path.name}:{node.lineno} imports {module}")
            # The app's clock (timezone.localdate, frozen by time_machine), not the host's.
            if isinstance(node, ast.Attribute) and node.attr == "today":
                if ast.unparse(node.value).endswith("date"):
                    problems.append(f"{path.name}:{node.lineno} reads date.today()")
    assert problems == []


def test_every_type_ignore_names_its_error_code_and_says_why() -> None:
    bare = []
    pattern = re.compile(r"# type: ignore(?!\[[a-z-]+(, [a-z-]+)*\]  # \S)")
    for folder in ("cases", "cadre_exit", "tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "/migrations/" in path.as_posix() or path.name == "test_architecture.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line):
                    bare.append(f"{path.relative_to(ROOT)}:{number}")
    assert bare == []
