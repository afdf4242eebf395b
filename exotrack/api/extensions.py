"""Actions an app adds to another app's API resource, e.g. the safety app's recall on the
inventory's lots, without either importing the other's API module.

A viewset opens itself to additions with `ExtensibleResource` and a `resource_name`; an
app adds a class of `@action` methods from its `AppConfig.ready()`. Django readies every
app before it imports the URL conf, so the router (config/api_urls.py) and the schema see
the added actions; whichever of the two comes first, the viewset class or the addition,
the actions end up on the viewset."""

from collections import defaultdict
from typing import Any, ClassVar

from drf_standardized_errors.openapi_validation_errors import extend_validation_errors

_additions: dict[str, list[type]] = defaultdict(list)
_resources: dict[str, list[type]] = defaultdict(list)


def _is_action(member: Any) -> bool:
    return callable(member) and hasattr(member, "mapping") and hasattr(member, "detail")


def _attach(viewset: type, actions: type) -> None:
    for name, member in vars(actions).items():
        if not _is_action(member):
            continue
        if hasattr(viewset, name):
            raise TypeError(f"{viewset.__name__} already has an action or attribute {name!r}")
        setattr(viewset, name, member)
    # Error codes the added actions answer with, documented in the schema as the
    # viewset's own decorators would.
    for documented in getattr(actions, "documented_errors", []):
        extend_validation_errors(**documented)(viewset)


def resource_actions_add(resource: str, actions: type) -> None:
    """Add the `@action` methods of `actions` to the viewset named `resource`.
    `actions.documented_errors` lists `extend_validation_errors` arguments for them."""
    _additions[resource].append(actions)
    for viewset in _resources[resource]:
        _attach(viewset, actions)


# A viewset other apps may add actions to, by its `resource_name`. (A comment: the schema
# would publish a mixin's docstring as the description of a viewset without its own.)
class ExtensibleResource:
    resource_name: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("resource_name")
        if name is None:
            return
        _resources[name].append(cls)
        for actions in _additions[name]:
            _attach(cls, actions)
