"""`thidua spec draft`: a directive as offices hold it (.docx, .pdf, .txt) becomes a draft spec
whose every field is marked found or to check, and which passes `spec check` once the marked
fields are filled. A file that is no directive is refused, naming why, and nothing is written."""

import importlib.util
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from typer.testing import CliRunner

from thidua.cli.spec import app
from thidua.errors import InvalidInput
from thidua.spec_draft import CHECK, draft_data, draft_spec, draft_yaml, read_directive
from thidua.spec_load import check_spec, load_spec

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "tests" / "data" / "spec" / "seeds"
_spec = importlib.util.spec_from_file_location("seeds", ROOT / "scripts" / "seeds-to-docx.py")
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
seed_to_docx = _mod.seed_to_docx
HANAM = SEEDS / "hanam-sct-2022-cong-van-phat-dong.txt"


def _fill(text: str) -> str:
    """What the office does with the marked fields: the agency and missing issuers."""
    text = text.replace("agency: ''", "agency: SỞ CÔNG THƯƠNG")
    return re.sub(r"issuer: ''", "issuer: Bộ Chính trị", text)


@pytest.mark.parametrize("seed", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.stem)
def test_draft_passes_check_once_marked_fields_are_filled(tmp_path: Path, seed: Path):
    source = seed_to_docx(seed, tmp_path / f"{seed.stem}.docx")
    text = draft_yaml(draft_spec(read_directive(source)), source.name)
    path = tmp_path / "draft.yaml"
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    for p in check_spec(path):  # every problem is on a line marked to check
        line = int(p.where.rsplit(":", 1)[1])
        near = "\n".join(lines[max(0, line - 6) : line])
        assert CHECK in near, (p, near)
    path.write_text(_fill(text), encoding="utf-8")
    assert check_spec(path) == []
    assert load_spec(path).content_count() > 5


def test_hanam_draft_reads_targets_bases_periods(tmp_path: Path):
    source = seed_to_docx(HANAM, tmp_path / "hanam.docx")
    data, marks = draft_data(draft_spec(read_directive(source)))
    assert [(t["label"], t["value"], t["unit"]) for t in data["targets"]] == [
        ("Giá trị sản xuất công nghiệp", Decimal("174186.0"), "tỷ đồng"),
        ("Tổng mức bán lẻ hàng hóa và dịch vụ", Decimal("35981.0"), "tỷ đồng"),
        ("Kim ngạch xuất khẩu hàng hóa", Decimal(4401), "triệu USD"),
        ("Kim ngạch nhập khẩu hàng hóa", Decimal(3882), "triệu USD"),
    ]
    assert data["targets"][0]["basis"] == "Giá SS2010"
    assert [(b["number"], str(b["date"])) for b in data["legal_bases"]] == [
        ("34-CT/TW", "2014-04-07"), ("19/CT-TTg", "2021-07-16"),
    ]  # fmt: skip
    assert [(p["starts_on"].isoformat(), p["ends_on"].isoformat()) for p in data["periods"]] == [
        ("2022-01-01", "2022-06-30"), ("2022-07-01", "2022-11-20"),
    ]  # fmt: skip
    assert data["document"]["date"] == "2022-03" and data["signer"]["name"] == "Lê Nguyên Ngọc"
    assert marks["issuer.agency"].startswith(CHECK) and marks["theme"] == "tìm thấy"
    two = data["contents"][1]["items"][1]  # "2. Chỉ tiêu thi đua." with 2.1 and 2.2 nested
    assert [i["number"] for i in two["items"]] == ["2.1.", "2.2."]


def test_growth_parts_and_words_are_read(tmp_path: Path):
    path = tmp_path / "tinh.txt"
    path.write_text(
        "Số: 03/CT-UBND\nTỉnh X, ngày 11 tháng 02 năm 2022\nCHỈ THỊ\n"
        "Về phát động phong trào thi đua năm 2022\n"
        "Thực hiện Chỉ thị số 19/CT-TTg ngày 16/7/2021 của Thủ tướng Chính phủ, Chủ tịch UBND tỉnh"
        " phát động phong trào thi đua với phương châm “Đoàn kết, kỷ cương, sáng tạo”:\n"
        "1. Về kinh tế:\n"
        "- Giá trị sản xuất công nghiệp đạt 6492,8 tỷ đồng, tăng 12,5% so với ước thực hiện năm "
        "2021.\n"
        "- Thu ngân sách 2.326 tỷ đồng, trong đó thu nội địa 2.316 tỷ đồng.\n"
        "- Tỷ lệ hộ nghèo không quá 3%.\n"
        "Nơi nhận:\n- Lưu: VT.\nCHỦ TỊCH\nNguyễn Văn B\n",
        encoding="utf-8",
    )
    data, _ = draft_data(draft_spec(read_directive(path)))
    got = {t["code"]: t for t in data["targets"]}
    assert got["gia_tri_san_xuat_cong"]["value_text"] == "6492,8"
    assert got["gia_tri_san_xuat_cong"]["growth_pct"] == Decimal("12.5")
    assert got["gia_tri_san_xuat_cong"]["growth_basis"] == "so với ước thực hiện năm 2021"
    assert got["thu_noi_dia"]["parent"] == "thu_ngan_sach"
    assert got["ty_le_ho_ngheo"]["qualifier"] == "không quá"
    assert (data["theme"], data["theme_label"]) == ("Đoàn kết, kỷ cương, sáng tạo", "Phương châm")
    assert data["document"]["kind"] == "chi_thi" and data["document"]["number"] == "03"


def test_pdf_and_txt_read_like_docx(tmp_path: Path):
    source = seed_to_docx(HANAM, tmp_path / "hanam.docx")
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    from_docx = draft_data(draft_spec(read_directive(source)))[0]
    for other in (tmp_path / "hanam.pdf", HANAM):
        data = draft_data(draft_spec(read_directive(other)))[0]
        assert [t["value"] for t in data["targets"]] == [t["value"] for t in from_docx["targets"]]
        assert [b["number"] for b in data["legal_bases"]] == ["34-CT/TW", "19/CT-TTg"]
        assert data["document"]["symbol"] == "SCT-VP"


def test_cli_draft_writes_refuses_and_never_overwrites(tmp_path: Path):
    source = seed_to_docx(HANAM, tmp_path / "hanam.docx")
    runner = CliRunner()
    r = runner.invoke(app, ["draft", str(source)])
    assert r.exit_code == 0 and "cần kiểm tra" in r.output, r.output
    out = tmp_path / "hanam.yaml"
    assert out.is_file()
    again = runner.invoke(app, ["draft", str(source)])
    assert again.exit_code == 1 and "--force" in again.output
    letter = tmp_path / "thu.docx"
    d = docx.Document()
    d.add_paragraph("Kính mời anh chị dự tiệc tất niên của công ty vào tối thứ Sáu.")
    d.save(str(letter))
    r = runner.invoke(app, ["draft", str(letter)])
    assert r.exit_code == 1 and "không phải văn bản phát động thi đua" in r.output
    assert "(đoạn 1)" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "thu.yaml").exists()  # nothing written
    fake = tmp_path / "gia.docx"
    fake.write_text("đây không phải tệp Word", encoding="utf-8")
    r = runner.invoke(app, ["draft", str(fake)])
    assert r.exit_code == 1 and "tệp hỏng" in r.output and not (tmp_path / "gia.yaml").exists()


def test_not_a_directive_names_the_paragraph(tmp_path: Path):
    path = tmp_path / "x.txt"
    path.write_text("Biên bản họp chi bộ tháng 3.\nNội dung: bầu bí thư.\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as e:
        draft_spec(read_directive(path))
    (p,) = e.value.problems
    assert p.field == "(đoạn 1)" and "Biên bản họp chi bộ" in p.reason
