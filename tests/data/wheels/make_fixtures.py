"""Regenerate the bad wheels in this directory: ``python tests/data/wheels/make_fixtures.py``.

Run from the repository root.  ``corrupt/``: a real wheel cut in half; ``sdist/``: an
sdist, also renamed to ``.whl``; ``bomb/``: 200 central-directory entries sharing one
member (a non-recursive, overlapping-member zip bomb); ``bigmeta/``: a METADATA that
unpacks to 8 MiB from 9 KB.
"""

from __future__ import annotations

import io
import struct
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, ".")
from tests.wheelmaker import make_wheel, metadata_text

OUT = Path("tests/data/wheels")
NAME = "demo-1.0-py3-none-any.whl"


def _write(kind: str, filename: str, data: bytes) -> None:
    (OUT / kind).mkdir(parents=True, exist_ok=True)
    (OUT / kind / filename).write_bytes(data)


def _sdist() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        members = [("demo-1.0/PKG-INFO", metadata_text("demo", "1.0").encode()),
                   ("demo-1.0/setup.py", b"raise SystemExit('never run')\n")]
        for name, content in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(content), 1577836800
            tf.addfile(info, io.BytesIO(content))
    import gzip
    return gzip.compress(buf.getvalue(), mtime=0)


def _central_records(data: bytes) -> tuple[int, list[bytes]]:
    # APPNOTE 4.3.16: the end of central directory record gives its size and offset.
    eocd = data.rfind(b"PK\x05\x06")
    size, offset = struct.unpack("<II", data[eocd + 12:eocd + 20])
    directory, records, pos = data[offset:offset + size], [], 0
    while pos < len(directory):
        n, m, k = struct.unpack("<HHH", directory[pos + 28:pos + 34])
        records.append(directory[pos:pos + 46 + n + m + k])
        pos += 46 + n + m + k
    return offset, records


def _bomb(data: bytes) -> bytes:
    offset, records = _central_records(data)
    shared = next(r for r in records if r[46:].startswith(b"demo/data.txt"))
    copies = []
    for i in range(200):  # APPNOTE 4.3.12: new name, no extra field or comment
        name = f"demo/copy{i:03}.txt".encode()
        record = bytearray(shared[:46])
        record[28:34] = struct.pack("<HHH", len(name), 0, 0)
        copies.append(bytes(record) + name)
    directory = b"".join(records + copies)
    count = len(records) + len(copies)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(directory),
                      offset, 0)
    return data[:offset] + directory + end


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    good = make_wheel(tmp, "demo", "1.0", files={"demo/data.txt": b"x" * 20000})
    data = good.read_bytes()
    _write("corrupt", NAME, data[:len(data) // 2])
    _write("sdist", "demo-1.0.tar.gz", _sdist())
    _write("sdist", NAME, _sdist())
    _write("bomb", NAME, _bomb(data))
    meta = metadata_text("demo", "1.0") + "\n" * (8 << 20)
    _write("bigmeta", NAME, make_wheel(tmp / "big", "demo", "1.0", metadata=meta).read_bytes())


if __name__ == "__main__":
    main()
