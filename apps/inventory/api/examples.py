"""Examples for the inventory API's documentation, validated against the published schema
by the tests."""

LOT = {
    "id": 7,
    "product": 2,
    "product_name": "XoGlo Pro",
    "manufacturer_name": "Kimera Labs",
    "lot_number": "ABC123",
    "expiry_date": "2027-01-31",
    "received_on": "2026-11-20",
    "vials_received": 20,
    "vials_on_hand": 17,
    "labelled_billions_per_vial": "5.00",
    "measured_billions_per_vial": "3.40",
    "measured_source": "NTA, certificate of analysis 2026-117",
    "storage_location": "Freezer B, shelf 2",
    "status": "available",
    "status_reason": "",
    "created_at": "2026-11-20T14:02:11Z",
}
RECEIVE = {
    "product": 2,
    "lot_number": "ABC123",
    "expiry_date": "2027-01-31",
    "received_on": "2026-11-20",
    "vials_received": 20,
    "labelled_billions_per_vial": "5.00",
    "storage_location": "Freezer B, shelf 2",
}
PRODUCT = {
    "id": 2,
    "manufacturer": 1,
    "manufacturer_name": "Kimera Labs",
    "name": "XoGlo Pro",
    "gtin": "09506000134352",
    "regulatory_status": "Investigational (IND 012345)",
    "storage_min_celsius": "-80.0",
    "storage_max_celsius": "-20.0",
}


def validation_error(attr: str, detail: str, code: str = "invalid") -> dict:
    return {"type": "validation_error", "errors": [{"code": code, "detail": detail, "attr": attr}]}
