"""The front desk's follow-up answers carry every field the published schema requires."""

from tests.factories import FollowUpFactory


def test_front_desk_answers_have_every_required_field(api_client, front_desk):
    follow_up = FollowUpFactory()
    api_client.force_authenticate(front_desk)
    schema = api_client.get("/api/schema/?format=json").json()["components"]["schemas"]

    answer = api_client.get(f"/api/v1/follow-ups/{follow_up.pk}/").json()

    assert set(schema["FollowUp"]["required"]) <= set(answer)
    assert "visit" not in answer
    assert (
        "Absent for front-desk accounts."
        in schema["FollowUp"]["properties"]["visit"]["description"]
    )
