"""Visit photos: re-encoded without EXIF/GPS, bounded in size, and anything that is no image
refused in Chinese."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from lianxin.core.errors import Refused
from lianxin.core.models import today
from lianxin.visits import photos
from lianxin.visits.models import VisitPhoto
from lianxin.visits.services import do_add_visit_photo, do_remove_visit_photo

from .support import pair, visit


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def jpeg_with_gps(size=(64, 48)) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.DateTimeOriginal] = "2025:03:03 10:00:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (30.0, 37.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (103.0, 40.0, 5.0)
    out = BytesIO()
    Image.new("RGB", size, "green").save(out, "JPEG", exif=exif)
    return out.getvalue()


def upload(data: bytes, name="IMG_20250303_罗选志家.jpg"):
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def test_it_strips_exif_and_gps_from_a_stored_photo(world):
    original = jpeg_with_gps()
    assert Image.open(BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    pair(world, world.household, since=today() - dt.timedelta(days=5))
    v = visit(world, world.household, today())
    photo = do_add_visit_photo(v, upload=upload(original), acting_user=world.cadre_user)
    stored = photo.image.read()
    image = Image.open(BytesIO(stored))
    assert image.format == "JPEG" and (photo.width, photo.height) == (64, 48)
    assert not image.getexif() and b"Exif" not in stored and b"PhoneMaker" not in stored
    assert "罗选志" not in photo.image.name
    do_remove_visit_photo(photo, acting_user=world.cadre_user)
    assert not VisitPhoto.objects.exists()


def test_it_applies_the_orientation_before_dropping_it():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # rotated 90°: stored 40×20, shown 20×40
    out = BytesIO()
    Image.new("RGB", (40, 20)).save(out, "JPEG", exif=exif)
    clean = photos.clean_photo(BytesIO(out.getvalue()))
    assert (clean.width, clean.height) == (20, 40)


def test_it_shrinks_a_large_photo():
    out = BytesIO()
    Image.new("RGB", (4000, 3000)).save(out, "PNG")
    clean = photos.clean_photo(BytesIO(out.getvalue()))
    assert max(clean.width, clean.height) == photos.MAX_SIDE


@pytest.mark.parametrize(
    "data", [b"%PDF-1.4 not a photo", b"GIF89a-broken", b"\xff\xd8\xff\xe0 truncated jpeg", b""]
)
def test_it_refuses_what_is_no_image_in_chinese(data):
    with pytest.raises(Refused) as refused:
        photos.clean_photo(upload(data))
    assert refused.value.field == "image" and "照片" in refused.value.message


def test_it_refuses_a_photo_over_the_size_limit(monkeypatch):
    monkeypatch.setattr(photos, "MAX_UPLOAD_BYTES", 1000)
    with pytest.raises(Refused) as refused:
        photos.clean_photo(upload(jpeg_with_gps((400, 400))))
    assert "不能超过" in refused.value.message


def test_it_refuses_a_decompression_bomb_from_its_header(monkeypatch):
    monkeypatch.setattr(photos, "MAX_PIXELS", 100)
    with pytest.raises(Refused) as refused:
        photos.clean_photo(upload(jpeg_with_gps((20, 20))))
    assert "像素" in refused.value.message
