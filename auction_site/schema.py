"""OpenAPI: every call documents its refusals, all in the one error shape (ARCHITECTURE.md, Errors).

A drf-spectacular post-processing hook: each operation gets the 4xx answers the site can give it
(those its view declares, plus the ones the shared machinery gives any call), and every 4xx points at
the one `ApiError` schema, so a client (or the fuzz suite) can check every refusal against it.
"""

from __future__ import annotations

ERROR_COMPONENT = "ApiError"
ERROR_SCHEMA = {
    "type": "object",
    "description": '{"error": {"code", "message", "details"?}}: clients switch on code; message is for people (zh-hans / en)',
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "stable, machine-readable reason (e.g. invalid, malformed, not_authenticated)"},
                "message": {"type": "string"},
                "details": {"description": "per-field problems or the rule violations, when there are any"},
            },
            "required": ["code", "message"],
        },
    },
    "required": ["error"],
}

DESCRIPTIONS = {
    "400": "Refused input: malformed body (bad JSON, nested too deep, broken multipart), an invalid field, or a rule",
    "401": "Not signed in, or the token is not valid",
    "403": "Signed in but not allowed (role, court, barred bidder)",
    "404": "No such object (or not visible to you), or the call is off in this mode",
    "409": "Conflicts with the current state (status, deadline, duplicate)",
    "413": "Request body too large",
    "415": "Unsupported content type",
    "429": "Rate limited",
}
ANY_CALL = ("400", "401", "403", "404", "429")
WITH_BODY = ("409", "413", "415")
METHODS = {"get", "post", "put", "patch", "delete"}


def document_errors(result: dict, generator, request, public) -> dict:
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    ref = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}}
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            wanted = set(ANY_CALL) | (set(WITH_BODY) if method != "get" else set())
            wanted |= {status for status in responses if str(status).startswith("4")}
            for status in sorted(wanted):
                answer = responses.setdefault(status, {})
                answer["description"] = answer.get("description") or DESCRIPTIONS.get(status, "Refused")
                if answer["description"].startswith("{'error'"):
                    answer["description"] = DESCRIPTIONS.get(status, "Refused")
                answer["content"] = ref
    return result
