"""Programme logos: only real images, re-encoded, in the merchant's folder, served on its host."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context
from PIL import Image

from merchants.models import Merchant
from programs.models import LoyaltyProgram
from tests.conftest import client_for
from tests.programs.test_admin import make_store, program_form, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _png(size: tuple[int, int] = (40, 20), colour: str = "#0b5cad") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def _upload(merchant: Merchant, content: bytes, name: str = "logo.png") -> Any:
    store = make_store(merchant)
    logo = SimpleUploadedFile(name, content, content_type="image/png")
    response = signed_in(merchant).post(
        "/admin/programs/loyaltyprogram/add/", program_form(store, logo=logo)
    )
    with schema_context(merchant.schema_name):
        program = LoyaltyProgram.objects.filter(stores=store).first()
    return response, program


def test_an_uploaded_logo_is_served_at_its_url_as_a_png(merchant: Merchant) -> None:
    response, program = _upload(merchant, _png())
    assert response.status_code == 302

    assert program.logo.url.startswith(f"/media/{merchant.schema_name}/logos/")
    served = client_for(merchant).get(program.logo.url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(b"".join(served.streaming_content))) as image:
        assert (image.format, image.size) == ("PNG", (40, 20))
    with schema_context(merchant.schema_name):
        store_code = program.stores.get().code
    join_page = client_for(merchant).get(f"/join/{store_code}/").content.decode()
    assert f'src="{program.logo.url}"' in join_page


def test_a_large_logo_is_scaled_down_and_any_image_becomes_a_png(merchant: Merchant) -> None:
    out = io.BytesIO()
    Image.new("RGB", (3000, 1500), "#c00").save(out, format="JPEG")

    response, program = _upload(merchant, out.getvalue(), name="photo.jpg")

    assert response.status_code == 302
    assert program.logo.name.endswith(".png")
    with Image.open(program.logo.path) as image:
        assert (image.format, image.size) == ("PNG", (1024, 512))


def test_only_the_pixels_of_an_upload_are_kept(merchant: Merchant) -> None:
    payload = b"<script>alert(document.cookie)</script>"

    response, program = _upload(merchant, _png() + payload)

    assert response.status_code == 302
    assert payload not in Path(program.logo.path).read_bytes()


def test_a_file_that_is_not_an_image_renamed_png_is_refused(merchant: Merchant) -> None:
    response, program = _upload(merchant, b"<html><script>alert(1)</script></html>")

    assert response.status_code == 200
    assert "Upload a valid image." in response.content.decode()
    assert program is None


def test_another_merchants_host_cannot_fetch_a_logo(
    merchant: Merchant, other_merchant: Merchant
) -> None:
    _response, program = _upload(merchant, _png())
    url = program.logo.url

    assert client_for(other_merchant).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 404
    # Nor by climbing out of its own folder.
    climb = url.replace(
        f"/media/{merchant.schema_name}/",
        f"/media/{other_merchant.schema_name}/../{merchant.schema_name}/",
    )
    assert client_for(other_merchant).get(climb).status_code == 404
    assert client_for(merchant).get(url).status_code == 200


def test_only_images_are_served_from_the_media_folder(merchant: Merchant, tmp_path: Path) -> None:
    folder = tmp_path / merchant.schema_name
    folder.mkdir()
    (folder / "notes.html").write_text("<script>alert(1)</script>")

    assert client_for(merchant).get(f"/media/{merchant.schema_name}/notes.html").status_code == 404
