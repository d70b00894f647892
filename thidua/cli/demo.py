"""`thidua demo`: a whole movement, start to finish, on the embedded default."""

from pathlib import Path
from typing import Annotated

import typer


def demo(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Thư mục cho bản chạy thử (tạo mới mỗi lần)")
    ] = Path("demo-data"),
    units: Annotated[int, typer.Option(help="Số đơn vị")] = 40,
    blocks: Annotated[int, typer.Option(help="Số khối thi đua")] = 4,
    people: Annotated[int, typer.Option(help="Số cán bộ")] = 600,
    spec: Annotated[
        Path | None,
        typer.Option(
            "--spec", help="Tệp đặc tả phong trào (mặc định: examples/hanam-sct-2022.yaml)"
        ),
    ] = None,
) -> None:
    """Chạy thử trọn một phong trào (Hà Nam 2022, hoặc tệp --spec) qua mọi giai đoạn, trong
    một tiến trình."""
    from thidua.demo import EXAMPLE, run_demo
    from thidua.lifecycle import Stage

    name = (spec or EXAMPLE).name
    typer.echo(f"Chạy thử phong trào thi đua theo {name} (Prefect cục bộ)…")
    r = run_demo(
        data_dir, units=units, blocks=blocks, people=people, say=typer.echo, spec_path=spec
    )
    typer.echo("")
    typer.echo(f"Xong trong {r.seconds:.0f} giây. Giai đoạn cuối: {Stage(r.stage).label}.")
    for k, v in r.counts.items():
        typer.echo(f"  {k}: {v}")
    typer.echo(f"Văn bản:   {r.data_dir / 'documents' / r.movement}")
    typer.echo(f"Hộp thư đi: {r.data_dir / 'outbox'}")
    from thidua.server import status
    from thidua.settings import get_settings

    url = get_settings().database_url
    db = r.data_dir / "thidua.db" if url.startswith("sqlite") else url.split("@")[-1]
    typer.echo(f"Cơ sở dữ liệu: {db}  (xem: thidua --data-dir {r.data_dir} status {r.movement})")
    info = status(r.data_dir)
    if info:
        typer.echo(f"Giao diện Prefect: {info.ui_url}  (dừng máy chủ: thidua --data-dir "
                   f"{r.data_dir} server stop)")  # fmt: skip
