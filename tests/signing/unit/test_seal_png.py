"""PNG bytes compressed in pieces: a standard PNG, pixel for pixel the background and its band."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image

from services.signing.domain.seal_png import BandedPng


def background() -> Image.Image:
    image = Image.new("RGBA", (40, 30), (255, 255, 255, 0))
    image.paste((215, 38, 30, 255), (5, 2, 35, 28))
    return image


def noise_band(height: int) -> Image.Image:
    return Image.frombytes("RGBA", (40, height), os.urandom(40 * height * 4))


@pytest.mark.parametrize(("first", "end"), [(10, 20), (0, 5), (25, 30), (0, 30)])
def test_the_png_decodes_to_the_background_with_the_band_in_place(first: int, end: int) -> None:
    band = noise_band(end - first)
    expected = background()
    expected.paste(band, (0, first))
    png = BandedPng(background(), first, end).encode(band)
    decoded = Image.open(io.BytesIO(png))
    decoded.verify()  # chunk CRCs and structure
    decoded = Image.open(io.BytesIO(png))
    assert (decoded.mode, decoded.size) == ("RGBA", (40, 30))
    assert decoded.tobytes() == expected.tobytes()


def test_each_band_gives_its_own_bytes_and_the_same_band_the_same_bytes() -> None:
    encoder = BandedPng(background(), 10, 20)
    band = noise_band(10)
    assert encoder.encode(band) == encoder.encode(band.copy())
    assert encoder.encode(band) != encoder.encode(noise_band(10))


def test_a_band_of_the_wrong_size_or_mode_is_refused() -> None:
    encoder = BandedPng(background(), 10, 20)
    with pytest.raises(ValueError, match="band"):
        encoder.encode(noise_band(11))
    with pytest.raises(ValueError, match="band"):
        encoder.encode(noise_band(10).convert("RGB"))
    with pytest.raises(ValueError, match="RGBA"):
        BandedPng(background().convert("RGB"), 10, 20)
