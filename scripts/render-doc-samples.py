"""Render the first page of every kind of document to docs/documents/<kind>.png, from the
demo movement (Sở Công Thương Hà Nam, 2022): launch letter, plan and directive, registration
summary, interim and final reports, a unit's report, achievement reports, list of nominees,
council minutes, proposal memo, decision (and its annexed list), certificates.

Needs LibreOffice (soffice) and poppler-utils (pdftoppm). Run from the repo root:

    uv run python scripts/render-doc-samples.py [OUTDIR]
"""

import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "documents"
    tmp = Path(tempfile.mkdtemp(prefix="thidua-samples-"))
    os.environ["THIDUA_DATA_DIR"] = str(tmp / "data")
    os.environ["THIDUA_DATABASE_URL"] = f"sqlite:///{tmp / 'samples.db'}"
    os.environ.pop("THIDUA_TEMPLATE_DIR", None)

    from sqlmodel import Session

    from models.db import engine_for
    from models.migrate import upgrade
    from thidua import documents as D
    from thidua.settings import reset_settings
    from tools import sample_movement

    reset_settings()
    upgrade(os.environ["THIDUA_DATABASE_URL"])
    issued: dict[str, object] = {}
    with Session(engine_for(os.environ["THIDUA_DATABASE_URL"]), expire_on_commit=False) as s:

        def issue(name, kind, ctx, when=None, key=""):
            if when:
                ctx["issued_on"] = when
            issued[name] = D.issue_document(s, m, kind, context=ctx, subject_key=key)

        for doc_kind in ("ke_hoach", "chi_thi"):
            other = sample_movement.build_demo(
                s, doc_kind=doc_kind, code=f"hanam-sct-2022-{doc_kind}"
            )
            m = other.movement
            m.issued_date = "2022-03-05"
            issue(f"launch-{doc_kind}", "launch", D.launch_context(s, m))
        demo = sample_movement.build_demo(s)
        m = demo.movement
        issue("launch-cong_van", "launch", D.launch_context(s, m))
        issue(
            "registration_summary",
            "registration_summary",
            D.registration_summary_context(s, m),
            date(2022, 4, 2),
        )
        issue(
            "period_report",
            "period_report",
            D.period_report_context(s, m, 1),
            date(2022, 7, 8),
            "period:1",
        )
        issue(
            "final_report",
            "final_report",
            D.final_report_context(s, m, sample_movement.demo_rankings(demo)),
            date(2022, 11, 28),
        )
        issue(
            "unit_report",
            "unit_report",
            D.unit_report_context(s, m, demo.units[3].id, 1),
            None,
            "unit:sample",
        )
        ind = next(n for n in demo.nominations if n.title == "CSTDCS")
        coll = next(n for n in demo.nominations if n.subject_kind == "collective")
        for n in (ind, coll):
            issue(
                D.achievement_kind(n),
                D.achievement_kind(n),
                D.achievement_report_context(s, n),
                None,
                n.subject_key,
            )
        issue(
            "nominee_list",
            "nominee_list",
            D.nominee_list_context(s, m, sample_movement.demo_checks(demo)),
            date(2022, 12, 1),
        )
        issue(
            "minutes",
            "minutes",
            D.minutes_context(s, m, demo.meeting, sample_movement.demo_votes(s, demo)),
        )
        issue(
            "proposal_memo",
            "proposal_memo",
            D.proposal_memo_context(s, m, demo.proposal),
            None,
            f"decision:{demo.proposal.id}",
        )
        issue(
            "decision",
            "decision",
            D.decision_context(s, m, demo.decision),
            None,
            f"decision:{demo.decision.id}",
        )
        (issued["certificates"],) = D.issue_certificates(s, m, demo.decision)  # one file
        D.convert_to_pdf(list(issued.values()))
        s.commit()
        out.mkdir(parents=True, exist_ok=True)
        for name, doc in issued.items():
            pdf = D.document_path(doc, pdf=True)
            _png(pdf, out / f"{name}.png", 1)
            if name == "decision":  # the annexed list: the last page
                _png(pdf, out / "decision-annex.png", _pages(pdf))
            print(out / f"{name}.png", doc.symbol or "")
    shutil.rmtree(tmp, ignore_errors=True)


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(next(ln for ln in info.stdout.splitlines() if ln.startswith("Pages:")).split()[1])


def _png(pdf: Path, dest: Path, page: int) -> None:
    stem = dest.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "72", "-f", str(page), "-l", str(page), "-singlefile",
         str(pdf), str(stem)],
        check=True,
    )  # fmt: skip


if __name__ == "__main__":
    main()
