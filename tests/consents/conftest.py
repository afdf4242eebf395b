"""Consent fixtures: a private file store per test, a published form, drawn signatures."""

import base64
import io

import pytest
from PIL import Image, ImageDraw

from apps.consents.models import ConsentVersion
from apps.consents.services import consent_form_create
from tests.factories import PatientFactory, ProductFactory, UserFactory

BODY = """# Treatment with {product}

I, {patient}, agree to treatment at {clinic} on {date}.

**Regulatory status:** {regulatory_status}

Risks include:

- infection (about 1 in 2,000)
- a cold sore (about 1 in 20)
"""


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def drawn_signature(width: int = 600, height: int = 200, *, ink: bool = True) -> str:
    """A canvas PNG as the signature pad sends it: transparent, with a dark scribble."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    if ink:
        draw = ImageDraw.Draw(image)
        draw.line([(40, 150), (120, 40), (200, 160), (320, 50), (480, 140)], fill="#111", width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@pytest.fixture
def signature() -> str:
    return drawn_signature()


@pytest.fixture
def consent_version(db) -> ConsentVersion:
    author = UserFactory(role="manager")
    return consent_form_create(
        title="Knee and face exosome treatment",
        body=BODY,
        site_categories=["joint", "face"],
        by=author,
    )


@pytest.fixture
def patient(db):
    return PatientFactory(first_name="Ada", last_name="Lovelace", email="ada@example.com")


@pytest.fixture
def product(db):
    return ProductFactory(name="ExoVial 100", regulatory_status="Investigational, IND 012345")
