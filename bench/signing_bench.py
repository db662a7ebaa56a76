"""The cost of a signed decision: render, then two PAdES signatures through PKCS#11.

A temporary SoftHSM2 token holds a throw-away CA, a signer's key and a body's key (no
database rows), so the figure measures WeasyPrint + pyHanko + the token, not the store.
Part of ``python -m bench`` (row "PDF decision rendered + signed"); on its own, without
PostgreSQL: ``python -m bench.signing_bench [repeat]``.
"""

from __future__ import annotations

import datetime
import os
import shutil
import statistics as stats
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
LABEL, PIN = "cadre-bench", "bench-pin"


@contextmanager
def bench_token() -> Iterator[Any]:
    """A Pkcs11KeyStore on a fresh SoftHSM2 token, removed afterwards."""
    import pkcs11

    from cases.documents import signing

    directory = Path(tempfile.mkdtemp(prefix="cadre-bench-hsm-"))
    saved = os.environ.get("SOFTHSM2_CONF")
    try:
        (directory / "tokens").mkdir()
        conf = directory / "softhsm2.conf"
        conf.write_text(f"directories.tokendir = {directory / 'tokens'}\n")
        os.environ["SOFTHSM2_CONF"] = str(conf)
        subprocess.run(
            ["softhsm2-util", "--init-token", "--free", "--label", LABEL]
            + ["--pin", PIN, "--so-pin", PIN],
            check=True,
            capture_output=True,
        )
        pkcs11.lib(MODULE).reinitialize()
        yield signing.Pkcs11KeyStore(module=MODULE, token_label=LABEL, pin=PIN)
    finally:
        if saved is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = saved
        if saved and os.path.exists(saved):
            pkcs11.lib(MODULE).reinitialize()  # back to the process's own token
        shutil.rmtree(directory, ignore_errors=True)


def _certificates(store: Any) -> tuple[Any, Any, Any]:
    from cases.documents import signing

    now = datetime.datetime.now(tz=datetime.UTC)

    def issue(label: str, name: str, serial: int, issuer: Any) -> Any:
        return signing.issue_certificate(
            store=store,
            issuer_label="ca" if issuer is not None else label,
            issuer=issuer,
            subject=signing.build_name(common_name=name),
            public_key=store.generate(label),
            serial=serial,
            days=30,
            ca=issuer is None,
            now=now,
        )

    ca = issue("ca", "Bench CA", 1, None)
    return ca, issue("signer", "Đặng Quốc Khánh", 2, ca), issue("body", "UBND tỉnh", 3, ca)


def measure(ctx: Any, repeat: int) -> dict[str, list[float]]:
    """Milliseconds per decision: render only, sign only (2 signatures), render + sign."""
    import dataclasses

    from cases.documents import render, signing

    ctx = dataclasses.replace(
        ctx, signature_slots=True, verification_url="https://example.vn/verify/?code=X"
    )
    out: dict[str, list[float]] = {"render": [], "sign": [], "total": []}
    with bench_token() as store:
        ca, signer, body = _certificates(store)
        for index in range(repeat + 2):
            t0 = time.perf_counter()
            rendered = render.render_decision_for_signing(ctx)
            t1 = time.perf_counter()
            signing.sign_pdf(
                rendered.content,
                [
                    signing.SignatureRequest(
                        "signer",
                        "signer",
                        "signer",
                        signer,
                        ("Ký số bởi:", "Đặng Quốc Khánh"),
                        signing.Placement(**vars(rendered.slots["signer"])),
                    ),
                    signing.SignatureRequest(
                        "body",
                        "body",
                        "body",
                        body,
                        ("Cơ quan ban hành:", "UBND tỉnh"),
                        signing.Placement(**vars(rendered.slots["body"])),
                    ),
                ],
                chain=[ca],
                store=store,
            )
            t2 = time.perf_counter()
            if index >= 2:  # two warm-up rounds (fonts, the token's first session)
                out["render"].append((t1 - t0) * 1000)
                out["sign"].append((t2 - t1) * 1000)
                out["total"].append((t2 - t0) * 1000)
    return out


def rows(ctx: Any, size: int, repeat: int) -> list[Any]:
    from bench.figures import Row, percentile

    ms = measure(ctx, repeat)
    total_median = stats.median(ms["total"])
    return [
        Row(
            "PDF decision with signature boxes and QR (render alone)",
            size,
            stats.median(ms["render"]),
            percentile(ms["render"], 0.95),
            "ms",
            "",
            None,
        ),
        Row(
            "PDF decision rendered + signed (2 PAdES signatures, SoftHSM2)",
            size,
            total_median,
            percentile(ms["total"], 0.95),
            "ms",
            "median ≤ 600 ms",
            total_median <= 600,
        ),
        Row(
            "PDF decision: the two signatures alone",
            size,
            stats.median(ms["sign"]),
            percentile(ms["sign"], 0.95),
            "ms",
            "",
            None,
        ),
        Row(
            "Signed decisions per second per worker (render + sign)",
            size,
            1000 / stats.mean(ms["total"]),
            None,
            "doc/s",
            "",
            None,
        ),
    ]


def bench_rows(size: int, repeat: int) -> list[Any]:
    """The rows at one data set size, on the same decision as the "PDF decision" row."""
    from bench.figures import decision_context
    from cases.models import Case

    case_id = (
        Case.objects.filter(status="closed", outcome="approved", regulation__code="R41")
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
    return rows(decision_context(case_id), size, repeat)


def _sample_context() -> Any:
    from cases.documents import render as d

    return d.DecisionContext(
        form="dismissal",
        regulation_code="R41",
        regulation_symbol="41-QĐ/TW",
        regulation_title="về miễn nhiệm, từ chức đối với cán bộ",
        body=d.IssuingBody(
            name="ỦY BAN NHÂN DÂN TỈNH LÀO CAI",
            superior_name=None,
            kind="state",
            place="Lào Cai",
            symbol="UBND",
            collective_name="ỦY BAN NHÂN DÂN",
        ),
        number=5,
        year=2026,
        issued_on=datetime.date(2026, 2, 5),
        effective_on=datetime.date(2026, 2, 15),
        official=d.Person(full_name="Nguyễn Văn Đức", honorific="ông"),
        post_title="Giám đốc",
        unit_name="Sở Tài chính tỉnh Lào Cai",
        grounds=[("G1", "Có hai năm liên tiếp bị xếp loại không hoàn thành nhiệm vụ")],
        bases=["Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025"],
        proposal_by="Giám đốc Sở Nội vụ",
        signer=d.Signer(full_name="Đặng Quốc Khánh", post="CHỦ TỊCH"),
        recipients=["Như Điều 3", "Lưu: VT"],
        case_reference="HS-2026-000001",
    )


def main(argv: list[str]) -> int:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cadre_exit.settings")
    django.setup()
    repeat = int(argv[0]) if argv else 20
    for row in rows(_sample_context(), 0, repeat):
        p95 = f"{row.p95:.1f}" if row.p95 is not None else "—"
        print(f"{row.figure:<66} median {row.median:8.1f}  p95 {p95:>8} {row.unit}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
