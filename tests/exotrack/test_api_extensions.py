"""Actions one app adds to another app's API resource (exotrack.api.extensions)."""

import pytest
from django.urls import reverse
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from exotrack.api.extensions import ExtensibleResource, resource_actions_add


class _Ping:
    @action(detail=True, methods=["post"])
    def ping(self, request, pk=None):
        return Response({"pong": pk})


def test_the_safety_apps_recall_actions_are_routes_of_the_lots():
    # Added in SafetyConfig.ready(), before the URL conf built the router.
    assert [
        reverse(name, args=[7])
        for name in ["lot-recall", "lot-quarantine", "lot-recipients", "lot-contact-recipients"]
    ] == [
        "/api/v1/lots/7/recall/",
        "/api/v1/lots/7/quarantine/",
        "/api/v1/lots/7/recipients/",
        "/api/v1/lots/7/contact-recipients/",
    ]


def test_actions_reach_a_resource_declared_before_or_after_they_are_added():
    class Earlier(ExtensibleResource, viewsets.GenericViewSet):
        resource_name = "extensions-test-earlier"

    resource_actions_add("extensions-test-earlier", _Ping)
    resource_actions_add("extensions-test-later", _Ping)

    class Later(ExtensibleResource, viewsets.GenericViewSet):
        resource_name = "extensions-test-later"

    for viewset in (Earlier, Later):
        assert [extra.__name__ for extra in viewset.get_extra_actions()] == ["ping"]


def test_an_added_action_may_not_replace_one_of_the_resource():
    class Pinging(ExtensibleResource, viewsets.GenericViewSet):
        resource_name = "extensions-test-clash"

        @action(detail=True, methods=["post"])
        def ping(self, request, pk=None):
            return Response()

    with pytest.raises(TypeError, match="ping"):
        resource_actions_add("extensions-test-clash", _Ping)
