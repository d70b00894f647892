"""`thidua demo` and `thidua rehearse`: a whole movement replayed on its own calendar (the
movement clock), on the embedded default."""

import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from thidua.errors import InvalidInput, Problem


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"Ngày '{text}' không hợp lệ; viết dạng 2022-06-30", [Problem("--until", "sai dạng")]
        ) from None


def _print(r, typer_echo=typer.echo) -> None:
    from thidua.lifecycle import State

    typer_echo("")
    typer_echo(f"Xong trong {r.seconds:.0f} giây. Giai đoạn cuối: {State(r.state).label}.")
    for k, v in r.counts.items():
        typer_echo(f"  {k}: {v}")
    for why in r.held_reasons:
        typer_echo(f"    {why}")
    typer_echo(f"Văn bản:   {r.data_dir / 'documents' / r.movement}")
    typer_echo(f"Hộp thư đi: {r.data_dir / 'outbox'}")


def demo(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Thư mục cho bản chạy thử (tạo mới mỗi lần)")
    ] = Path("demo-data"),
    units: Annotated[int, typer.Option(help="Số đơn vị")] = 40,
    blocks: Annotated[int, typer.Option(help="Số khối thi đua")] = 4,
    people: Annotated[int, typer.Option(help="Số cán bộ")] = 600,
    until: Annotated[
        str | None, typer.Option(help="Dừng sau ngày này (trong năm của phong trào), 2022-07-06")
    ] = None,
    spec: Annotated[
        Path | None,
        typer.Option(
            "--spec", help="Tệp đặc tả phong trào (mặc định: examples/hanam-sct-2022.yaml)"
        ),
    ] = None,
) -> None:
    """Chạy thử trọn một phong trào (Hà Nam 2022, hoặc tệp --spec) theo lịch của chính nó,
    từng ngày làm việc, trong một tiến trình."""
    from flows.start import run_in_process
    from thidua.demo import EXAMPLE, run_demo

    name = (spec or EXAMPLE).name
    typer.echo(f"Chạy thử phong trào thi đua theo {name} (Prefect cục bộ)…")
    r = run_demo(
        data_dir, start_stage=run_in_process, units=units, blocks=blocks, people=people,
        say=typer.echo, spec_path=spec, until=_date(until),
    )  # fmt: skip
    _print(r)
    from flows.server import status
    from thidua.settings import get_settings

    url = get_settings().database_url
    db = r.data_dir / "thidua.db" if url.startswith("sqlite") else url.split("@")[-1]
    typer.echo(f"Cơ sở dữ liệu: {db}  (xem: thidua --data-dir {r.data_dir} status {r.movement})")
    info = status(r.data_dir)
    if info:
        typer.echo(f"Giao diện Prefect: {info.ui_url}  (dừng máy chủ: thidua --data-dir "
                   f"{r.data_dir} server stop)")  # fmt: skip


def rehearse(
    spec: Annotated[Path, typer.Argument(help="Tệp đặc tả phong trào (.yaml)")],
    until: Annotated[
        str | None, typer.Option(help="Dừng sau ngày này (trong năm của phong trào)")
    ] = None,
    keep: Annotated[
        Path | None, typer.Option(help="Giữ bản diễn tập trong thư mục này (mặc định: xóa)")
    ] = None,
    units: Annotated[int, typer.Option(help="Số đơn vị")] = 20,
    blocks: Annotated[int, typer.Option(help="Số khối thi đua")] = 2,
    people: Annotated[int, typer.Option(help="Số cán bộ")] = 200,
) -> None:
    """Diễn tập một phong trào trước khi phát động: trọn năm theo lịch của nó, trên một tổ chức
    mẫu, trong thư mục dữ liệu tạm; không gửi gì ra ngoài (mọi thông báo vào hộp thư đi)."""
    import shutil

    from flows.start import run_in_process
    from thidua.demo import run_demo

    if not spec.is_file():
        raise InvalidInput(f"Không có tệp đặc tả {spec}", [Problem("SPEC", "không tìm thấy")])
    # Outbox only: a rehearsal never reaches a real mailbox or Zalo account.
    os.environ["THIDUA_EMAIL_URL"] = ""
    os.environ["THIDUA_ZALO_URL"] = ""
    where = keep or Path(tempfile.mkdtemp(prefix="thidua-rehearse-"))
    typer.echo(f"Diễn tập {spec} trong {where} (không gửi thông báo thật)…")
    try:
        r = run_demo(
            where, start_stage=run_in_process, units=units, blocks=blocks, people=people,
            say=typer.echo, spec_path=spec.resolve(), until=_date(until),
        )  # fmt: skip
        _print(r)
    finally:
        from flows.server import stop_server

        stop_server(where)  # the rehearsal's own Prefect server: no orphan once it is over
        if keep is None:
            shutil.rmtree(where, ignore_errors=True)
