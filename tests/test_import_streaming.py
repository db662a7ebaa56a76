"""The historic import's move phase: officials across batches and imports, the folded
search name, and the event seal computed from texts (see cases.historic.imports)."""

from __future__ import annotations

import pytest

from cases.audit.chain import verify_case_chain
from cases.historic import imports
from cases.historic.imports import import_cases
from cases.models import Case, CaseEvent, Official
from cases.models.org import fold
from tests.reports_support import csv_bytes, row  # noqa: F401 - fixtures


def _rows(count: int, *, start: int = 1, name: str = "Lê Văn Hải") -> list[dict[str, str]]:
    return [
        row(
            case_ref=f"LS-2015-{n:04d}",
            official_name=name if n % 2 else f"Người Thứ {n}",
        )
        for n in range(start, start + count)
    ]


def test_an_official_on_rows_of_several_batches_is_created_once(
    world, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "BATCH", 3)
    officials = Official.objects.count()
    import_cases(data=csv_bytes(_rows(10)), by=None)

    cases = Case.objects.filter(imported=True)
    assert cases.count() == 10
    # Lê Văn Hải on the odd rows (4 batches), one new official for each even row.
    assert Official.objects.count() == officials + 1 + 5
    assert (
        len(set(cases.filter(official__full_name="Lê Văn Hải").values_list("official", flat=True)))
        == 1
    )
    for pk in cases.values_list("pk", flat=True):
        assert verify_case_chain(pk).valid


def test_a_later_import_finds_the_officials_of_an_earlier_one_through_their_cases(world) -> None:
    import_cases(data=csv_bytes(_rows(2)), by=None)
    first = Case.objects.get(reference="LS-2015-0001").official_id
    officials = Official.objects.count()

    import_cases(data=csv_bytes(_rows(1, start=3)), by=None)
    assert Case.objects.get(reference="LS-2015-0003").official_id == first
    assert Official.objects.count() == officials


def test_imported_officials_have_their_folded_search_name(world) -> None:
    import_cases(data=csv_bytes([row(official_name="Trần Thị Quỳnh Đức")]), by=None)
    official = Case.objects.get(reference="LS-2015-0001").official
    assert official.search_name == fold("Trần Thị Quỳnh Đức") == "tran thi quynh duc"


def test_the_event_is_sealed_as_the_model_computes_it(world) -> None:
    import_cases(data=csv_bytes([row(official_name='Tên "có" ngoặc, \\ và ; dấu')]), by=None)
    event = CaseEvent.objects.get(case__reference="LS-2015-0001")
    assert event.hash == event.compute_hash()
    assert event.data["row"]["official_name"] == 'Tên "có" ngoặc, \\ và ; dấu'


def test_a_seal_that_differs_from_the_model_stops_the_import(
    world, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports._Sealer, "seal", lambda self, case_id, data: "0" * 64)
    with pytest.raises(RuntimeError):
        import_cases(data=csv_bytes(_rows(2)), by=None)
    assert not Case.objects.filter(imported=True).exists()
