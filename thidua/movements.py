"""A movement found by its code: the lookup every command, route, flow and domain call
starts from."""

from sqlmodel import Session, select

from models import Movement
from thidua.errors import NotFound


def find_movement(session: Session, code: str) -> Movement:
    """The movement `code`, or NotFound naming the movements there are."""
    movement = session.exec(select(Movement).where(Movement.code == code)).first()
    if movement is None:
        codes = ", ".join(session.exec(select(Movement.code)).all()) or "chưa có phong trào nào"
        raise NotFound(f"Không có phong trào '{code}'. Các phong trào: {codes}.")
    return movement
