"""A minimal ZIP writer whose unchanging members are compressed once.

zipfile recompresses every member on every write; for a .docx most members (styles, theme,
settings, fonts) never change between renders of one template, and deflating them again was
most of the time of a small document. Output: a standard ZIP (deflate, no extra fields),
readable by Word, LibreOffice, python-docx and zipfile; fixed timestamps, so the same content
always gives the same bytes."""

import struct
import zlib
from dataclasses import dataclass

_DOS_TIME, _DOS_DATE = 0, (0 << 9) | (1 << 5) | 1  # 1980-01-01 00:00


@dataclass(frozen=True)
class Member:
    name: bytes
    crc: int
    size: int
    data: bytes  # deflated


def member(name: str, data: bytes) -> Member:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Member(name.encode(), zlib.crc32(data), len(data), c.compress(data) + c.flush())


def write(members: list[Member]) -> bytes:
    out, central, offset = [], [], 0
    for m in members:
        head = struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            20,
            0,
            8,
            _DOS_TIME,
            _DOS_DATE,
            m.crc,
            len(m.data),
            m.size,
            len(m.name),
            0,
        )
        out += [head, m.name, m.data]
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                _DOS_TIME,
                _DOS_DATE,
                m.crc,
                len(m.data),
                m.size,
                len(m.name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + m.name
        )
        offset += len(head) + len(m.name) + len(m.data)
    directory = b"".join(central)
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), offset, 0
    )
    return b"".join(out) + directory + end
