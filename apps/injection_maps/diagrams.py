"""The body diagrams injection points are drawn on, shipped with the app as SVG.

Each diagram has its own coordinate units (its viewBox) and a version: a point stores
both, so a redrawn diagram never moves the points tapped on an older one. A site gets its
diagram from its name or, failing that, its category."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Diagram:
    key: str
    label: str
    version: int
    width: int
    height: int

    @property
    def template(self) -> str:
        return f"injection_maps/diagrams/{self.key}.svg"


DIAGRAMS = {
    d.key: d
    for d in [
        Diagram("face", "Face", 1, 200, 240),
        Diagram("body_front", "Body, front", 1, 200, 400),
        Diagram("body_back", "Body, back", 1, 200, 400),
        Diagram("hands", "Hands", 1, 240, 200),
        Diagram("knee", "Knee", 1, 200, 240),
        Diagram("shoulder", "Shoulder", 1, 240, 200),
    ]
}
# Words in a site's name that pick a close-up, checked in this order.
_BY_NAME = [
    (("knee",), "knee"),
    (("shoulder", "rotator"), "shoulder"),
    (("hand", "wrist", "finger", "thumb"), "hands"),
    (("back", "lumbar", "spine", "sacroiliac"), "body_back"),
    (("face", "scalp", "gum", "dental", "lip", "chin"), "face"),
]
_BY_CATEGORY = {"face": "face", "scalp": "face", "dental": "face"}


def diagram_for_site(site) -> Diagram:
    name = site.name.lower()
    for words, key in _BY_NAME:
        if any(word in name for word in words):
            return DIAGRAMS[key]
    return DIAGRAMS[_BY_CATEGORY.get(site.category, "body_front")]
