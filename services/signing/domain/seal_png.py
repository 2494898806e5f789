"""PNG bytes of images that differ only in one band of rows, the rest compressed once.

A deflate stream may be cut into runs of blocks compressed independently, each ended on a byte
boundary by a sync flush: the decoder only ever sees a sequence of blocks. So the rows above and
below the band are compressed once per process, and each image compresses only its band: a third
of the CPU of Pillow's encoder for the seal, and a smaller file. Rows are left unfiltered (PNG
filter 0): the seal's flat transparent ground compresses best as it is.

The bytes depend on the drawing (Pillow) and on the zlib that Python links, nothing else.
"""

from __future__ import annotations

import struct
import zlib

from PIL import Image

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_RGBA_8 = (8, 6, 0, 0, 0)  # bit depth, colour type RGBA, deflate, filtering method, no interlace
_ZLIB_HEADER = b"\x78\xda"  # deflate, 32 KiB window, "maximum compression" (informational)
_FIXED_LEVEL = 9  # paid once per process
_BAND_LEVEL = 6  # paid per image: level 9 costs three times more for 2 % less


class BandedPng:
    """Encodes images equal to `background` outside rows [`first`, `end`)."""

    def __init__(self, background: Image.Image, first: int, end: int) -> None:
        if background.mode != "RGBA":
            raise ValueError("RGBA only")
        self.width, self.height = background.size
        self.first, self.end = first, end
        raw = background.tobytes()
        row = self.width * 4
        above, below = _unfiltered(raw[: first * row], row), _unfiltered(raw[end * row :], row)
        self._head = _deflate(above, _FIXED_LEVEL, zlib.Z_SYNC_FLUSH)
        self._tail = _deflate(below, _FIXED_LEVEL, zlib.Z_FINISH)
        self._above_adler = zlib.adler32(above)
        self._below = below
        self._ihdr = _chunk(b"IHDR", struct.pack(">II5B", self.width, self.height, *_RGBA_8))

    def encode(self, band: Image.Image) -> bytes:
        """The PNG of the background with `band` (the rows [first, end), RGBA) in place."""
        if band.mode != "RGBA" or band.size != (self.width, self.end - self.first):
            raise ValueError(f"the band must be RGBA {self.width}×{self.end - self.first}")
        rows = _unfiltered(band.tobytes(), self.width * 4)
        adler = zlib.adler32(self._below, zlib.adler32(rows, self._above_adler))
        data = b"".join(
            (
                _ZLIB_HEADER,
                self._head,
                _deflate(rows, _BAND_LEVEL, zlib.Z_SYNC_FLUSH),
                self._tail,
                struct.pack(">I", adler),
            )
        )
        return b"".join((_SIGNATURE, self._ihdr, _chunk(b"IDAT", data), _chunk(b"IEND", b"")))


def _unfiltered(raw: bytes, row: int) -> bytes:
    return b"".join(b"\x00" + raw[at : at + row] for at in range(0, len(raw), row))


def _deflate(data: bytes, level: int, end: int) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)  # raw: no header
    return compressor.compress(data) + compressor.flush(end)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
