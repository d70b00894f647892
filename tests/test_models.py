"""The schema: migrations match the models, and the absolute rules are constraints."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from models import IssuedDocument, Notification, VoteReceipt
from models.awards import Council, CouncilMember, Meeting, Nomination
from models.db import engine_for
from tests.factories import make_movement, make_person, make_units


def test_migrations_create_exactly_the_models(db_url: str) -> None:
    with engine_for(db_url).connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, SQLModel.metadata)
    assert diff == [], diff


def test_db_upgrade_cli_is_idempotent(tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from thidua.cli import app
    from thidua.settings import reset_settings

    monkeypatch.setenv("THIDUA_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.delenv("THIDUA_DATABASE_URL", raising=False)
    reset_settings()
    for _ in range(2):
        out = CliRunner().invoke(app, ["db", "upgrade"])
        assert out.exit_code == 0 and "0001" in out.output
    tables = sa.inspect(engine_for(f"sqlite:///{tmp_path / 'd' / 'thidua.db'}")).get_table_names()
    assert {"movement", "unit", "ballotbox", "tally", "votereceipt", "notification"} <= set(tables)
    reset_settings()


def _expect_unique(session: Session, row: object) -> None:
    session.add(row)
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_one_ballot_per_member_per_nomination(session: Session) -> None:
    _, units = make_units(session, 1)
    m = make_movement(session, units=units, state="appraisal")
    p = make_person(session, units[0], ["council_member"])
    council = Council(movement_id=m.id, name="HĐTĐKT")
    session.add(council)
    session.flush()
    member = CouncilMember(council_id=council.id, person_id=p.id)
    meeting = Meeting(council_id=council.id)
    n = Nomination(movement_id=m.id, unit_id=units[0].id, subject_kind="individual",
                   person_id=p.id, subject_key=f"person:{p.id}", title="LDTT",
                   submitted_by="t")  # fmt: skip
    session.add_all([member, meeting, n])
    session.flush()
    session.add(VoteReceipt(meeting_id=meeting.id, nomination_id=n.id, member_id=member.id))
    session.commit()
    _expect_unique(
        session, VoteReceipt(meeting_id=meeting.id, nomination_id=n.id, member_id=member.id)
    )


def test_document_number_unique_per_agency_series_year(session: Session) -> None:
    m = make_movement(session)
    common = dict(movement_id=m.id, agency="SCT", series="KH", year=2022, title="t",
                  content_hash="x", path="p")  # fmt: skip
    session.add(IssuedDocument(kind="a", number=5, **common))
    session.commit()
    _expect_unique(session, IssuedDocument(kind="b", number=5, **common))
    session.add(IssuedDocument(kind="c", number=5, **{**common, "year": 2023}))
    session.commit()  # a new year starts again at 01


def test_one_ledger_row_per_notification_key(session: Session) -> None:
    m = make_movement(session)
    key = dict(movement_id=m.id, event="launch", recipient="person:1", channel="email",
               address="a@thidua.test")  # fmt: skip
    session.add(Notification(**key))
    session.commit()
    _expect_unique(session, Notification(**key))
