"""Minimal Word 97 .doc files for tests: an OLE compound file ([MS-CFB], version 3, 512-byte sectors, every
stream at least 4096 bytes so no mini stream is needed) holding a WordDocument stream with a FIB and the
text as UTF-16, and a 1Table stream with the piece table ([MS-DOC] Clx) pointing at it."""

import struct

SECTOR = 512
END, FREE, FAT_SECTOR, NO_STREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
TEXT_AT = 0x800


def _padded(data: bytes) -> bytes:
    data = data.ljust(4096, b"\0")
    return data + b"\0" * (-len(data) % SECTOR)


def _entry(name: str, kind: int, right: int = NO_STREAM, child: int = NO_STREAM, start: int = END,
           size: int = 0) -> bytes:
    raw = (name.encode("utf-16-le") + b"\0\0") if name else b""
    return (raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), kind, 1)
            + struct.pack("<III", NO_STREAM, right, child) + b"\0" * 16 + b"\0" * 4 + b"\0" * 16
            + struct.pack("<IQ", start, size))


def ole_file(streams: list[tuple[str, bytes]]) -> bytes:
    """A compound file whose root holds `streams` (at most three), each padded to 4096 bytes or more."""
    bodies = [_padded(data) for _, data in streams]
    fat = [FAT_SECTOR, END]  # sector 0: the FAT, sector 1: the directory
    starts = []
    for body in bodies:
        first, count = len(fat), len(body) // SECTOR
        starts.append(first)
        fat += [first + k + 1 for k in range(count - 1)] + [END]
    assert len(fat) <= SECTOR // 4, "too big for one FAT sector"
    entries = [_entry("Root Entry", 5, child=1)]
    for n, ((name, _), body) in enumerate(zip(streams, bodies, strict=True)):
        right = n + 2 if n + 1 < len(streams) else NO_STREAM
        entries.append(_entry(name, 2, right=right, start=starts[n], size=len(body)))
    directory = b"".join(entries).ljust(SECTOR, b"\0")
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + b"\0" * 6 + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END, 0, END, 0)
              + struct.pack("<109I", 0, *([FREE] * 108)))
    fat_sector = struct.pack(f"<{SECTOR // 4}I", *(fat + [FREE] * (SECTOR // 4 - len(fat))))
    return header + fat_sector + directory + b"".join(bodies)


def make_doc(paragraphs: list[str]) -> bytes:
    """A Word 97 document of these paragraphs (one piece of UTF-16 text)."""
    text = "".join(p + "\r" for p in paragraphs)
    word = bytearray(TEXT_AT + 2 * len(text))
    struct.pack_into("<HH", word, 0, 0xA5EC, 0x00C1)  # wIdent, nFib (Word 97)
    struct.pack_into("<H", word, 0x0A, 0x0200)  # fWhichTblStm: the table stream is 1Table
    struct.pack_into("<II", word, 0x18, TEXT_AT, len(word))  # fcMin, fcMac
    struct.pack_into("<Ii", word, 0x40, len(word), 0)  # cbMac
    struct.pack_into("<i", word, 0x4C, len(text))  # ccpText
    word[TEXT_AT:] = text.encode("utf-16-le")
    plc = struct.pack("<II", 0, len(text)) + struct.pack("<HIH", 0, TEXT_AT, 0)
    table = b"\x02" + struct.pack("<I", len(plc)) + plc
    struct.pack_into("<II", word, 0x1A2, 0, len(table))  # fcClx, lcbClx
    return ole_file([("WordDocument", bytes(word)), ("1Table", table)])
