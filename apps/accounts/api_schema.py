"""The personal API token in the OpenAPI schema, under the name DRF's plain token had,
so clients and the schema tests keep their `tokenAuth` scheme."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apps.accounts.api_tokens.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'A personal token from "Your account", sent as "Token <token>".',
        }
