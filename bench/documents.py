"""Benchmark: documents of a 2,000-unit province and the certificates of 8,000 people.

Ours: issue_documents / issue_document (render, store, record in the database), against raw
docxtpl (DocxTemplate(path).render(...) + save, per document) with the same templates and the
same contexts, in the same run. No PDF. Run from the repo root:

    uv run python bench/documents.py

Ends with: RESULT documents ratio=<ours/raw> ours_s=… raw_s=…
"""

import gc
import os
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

UNITS = 2000
PEOPLE = 8000


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="thidua-bench-docs-"))
    os.environ["THIDUA_DATA_DIR"] = str(tmp / "data")
    os.environ["THIDUA_DATABASE_URL"] = f"sqlite:///{tmp / 'bench.db'}"
    # Both sides read the same frozen copy of the shipped templates.
    frozen = tmp / "templates"
    shutil.copytree(Path(__file__).resolve().parent.parent / "templates" / "docx", frozen)
    os.environ["THIDUA_TEMPLATE_DIR"] = str(frozen)

    from docxtpl import DocxTemplate
    from sqlmodel import Session

    from models.db import engine_for
    from models.migrate import upgrade
    from thidua import documents as D
    from thidua.documents.store import date_line
    from thidua.documents.templates import make_env, template_path
    from thidua.settings import reset_settings
    from tools import sample_movement

    reset_settings()
    url = os.environ["THIDUA_DATABASE_URL"]
    upgrade(url)
    with Session(engine_for(url), expire_on_commit=False) as s:
        t = time.perf_counter()
        demo = sample_movement.build_demo(s, units=UNITS, people_per_unit=1, code="bench-province")
        s.commit()
        m = demo.movement
        print(f"setup: {UNITS} units in {time.perf_counter() - t:.1f} s")

        t = time.perf_counter()
        items = D.unit_report_contexts(s, m, 1)
        ctx_s = time.perf_counter() - t
        print(f"unit report contexts from the database: {len(items)} in {ctx_s:.2f} s")
        cert_ctx = D.certificates_context(s, m, demo.decision)
        cert_ctx["certificates"] = [
            {
                "recipient": f"{sample_movement.PEOPLE[i % 4][0]} {i + 1}",
                "position_unit": f"Chuyên viên – Đơn vị số {i % UNITS + 1}",
                "verb": "TẶNG",
                "form": "GIẤY KHEN",
                "citation": "Đã có thành tích xuất sắc trong phong trào thi đua năm 2022",
                "title": "Giấy khen",
                "book_number": f"{i + 1:04d}",
            }
            for i in range(PEOPLE)
        ]

        def full(ctx: dict) -> dict:
            """The context as issue_document completes it (no number: unnumbered kinds)."""
            return {
                **ctx,
                "number": None,
                "symbol": "      /BC-SCT",
                "date_line": date_line(ctx["place"], ctx["issued_on"]),
                "date_text": date_line("", ctx["issued_on"]),
            }

        # --- raw docxtpl: a fresh DocxTemplate per document, as its documentation shows
        raw_dir = tmp / "raw"
        raw_dir.mkdir()
        env = make_env()
        unit_tpl = str(template_path("unit_report"))
        gc.collect()
        t = time.perf_counter()
        for key, ctx in items:
            tpl = DocxTemplate(unit_tpl)
            tpl.render(full(ctx), jinja_env=env, autoescape=True)
            tpl.save(raw_dir / f"{key.replace(':', '-')}.docx")
        raw_units = time.perf_counter() - t
        gc.collect()
        t = time.perf_counter()
        tpl = DocxTemplate(str(template_path("certificates")))
        tpl.render(full(cert_ctx), jinja_env=env, autoescape=True)
        tpl.save(raw_dir / "certificates.docx")
        raw_certs = time.perf_counter() - t
        del tpl

        # --- ours: issue (render, store, record), committed
        gc.collect()
        t = time.perf_counter()
        docs = D.issue_documents(s, m, "unit_report", items)
        s.commit()
        ours_units = time.perf_counter() - t
        gc.collect()
        t = time.perf_counter()
        cert = D.issue_document(s, m, "certificates", context=cert_ctx, subject_key="bench")
        s.commit()
        ours_certs = time.perf_counter() - t

        # same output: word/document.xml of ours and of raw docxtpl, byte for byte
        first = docs[0]
        with zipfile.ZipFile(D.document_path(first)) as z:
            ours_xml = z.read("word/document.xml")
        with zipfile.ZipFile(raw_dir / f"{first.subject_key.replace(':', '-')}.docx") as z:
            raw_xml = z.read("word/document.xml")
        same = ours_xml == raw_xml
        with zipfile.ZipFile(D.document_path(cert)) as z:
            pages = z.read("word/document.xml").count(b"<w:pageBreakBefore/>")
        print(f"same document.xml as docxtpl: {same}; certificate pages: {pages}")
        size = D.document_path(cert).stat().st_size / 1e6
        print(f"certificates file: {size:.2f} MB")

    print(
        f"unit reports x{len(items)}: ours {ours_units:.2f} s, raw docxtpl {raw_units:.2f} s "
        f"({len(items) / ours_units:.0f} vs {len(items) / raw_units:.0f} docs/s)"
    )
    print(f"certificates x{PEOPLE}: ours {ours_certs:.2f} s, raw docxtpl {raw_certs:.2f} s")
    ours_s, raw_s = ours_units + ours_certs, raw_units + raw_certs
    if not same or pages != PEOPLE:
        raise SystemExit("output differs from docxtpl's")
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"RESULT documents ratio={ours_s / raw_s:.3f} ours_s={ours_s:.2f} raw_s={raw_s:.2f}")


if __name__ == "__main__":
    main()
