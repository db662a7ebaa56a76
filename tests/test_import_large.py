"""A 100,000-row historic file through the management command (slow by nature; the
time is measured by ``python -m bench.import_bench``, not asserted here)."""

from __future__ import annotations

import io

from django.core.management import call_command

from bench.import_bench import generate
from cases.audit.chain import verify_case_chain
from cases.models import Case, CaseEvent, Ground

ROWS = 100_000


def test_a_100000_row_file_imports_through_the_command(world, tmp_path) -> None:
    grounds: dict[tuple[str, str], list[str]] = {}
    for code, regime, form in Ground.objects.filter(
        regulation__version__is_current=True
    ).values_list("code", "regulation__code", "form"):
        grounds.setdefault((regime, form), []).append(code)
    path = tmp_path / "history.csv"
    generate(path, ROWS, grounds)

    out = io.StringIO()
    call_command("import_cases", str(path), stdout=out)
    assert f"{ROWS} cases created, 0 skipped" in out.getvalue()
    imported = Case.objects.filter(imported=True)
    assert imported.count() == ROWS
    assert CaseEvent.objects.filter(action="case_imported").count() == ROWS
    assert not imported.exclude(status="closed").exists()
    assert not imported.filter(level="district", filed_on__gt="2025-06-30").exists()
    for pk in imported.order_by("?").values_list("pk", flat=True)[:20]:
        assert verify_case_chain(pk).valid

    out = io.StringIO()
    call_command("import_cases", str(path), stdout=out)
    assert f"0 cases created, {ROWS} skipped" in out.getvalue()
    assert Case.objects.filter(imported=True).count() == ROWS
