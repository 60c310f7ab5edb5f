"""The API keeps the promises of its own description (``/api/schema/``): schemathesis generates
requests for every operation from the schema and sends them to the real application, in process,
on a merchant's host with a real API key. No answer may be a server error, and every answer's
status, content type and body must be ones the schema documents for that operation."""

from __future__ import annotations

import json
import re

import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.serializers.json import DjangoJSONEncoder
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.cards.helpers import new_card
from tests.conftest import Loyalty, client_for

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _described() -> dict:
    # What /api/schema/ serves (test_schema_is_the_served_one), built at collection time so that
    # each operation is a test of its own: the database and the merchant come later.
    return SchemaGenerator(urlconf=TENANT_URLCONF).get_schema(request=None, public=True)


TENANT_URLCONF = "loyalty_saas.urls_tenant"
DESCRIPTION = _described()
schema = schemathesis.openapi.from_dict(DESCRIPTION)


def test_schema_is_the_served_one(committed_loyalty: Loyalty) -> None:
    served = client_for(committed_loyalty.merchant).get("/api/schema/", {"format": "json"})
    assert served.status_code == 200
    assert served.json() == json.loads(json.dumps(DESCRIPTION, cls=DjangoJSONEncoder))


@schema.parametrize()
@settings(
    # A few examples per operation keep the module near a minute on two cores; derandomized so
    # that CI sees the same requests on every run.
    max_examples=15,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case: schemathesis.Case, committed_loyalty: Loyalty) -> None:
    checks = CHECKS
    # The Host header picks the merchant (the transport, not an input of the API): a generated
    # one ("host: ~2" among made-up headers) would address no merchant at all.
    if case.headers:
        case.headers = {k: v for k, v in case.headers.items() if k.lower() != "host"}
    # Committed data and Django's own WSGI handler: its request cycle closes a connection left
    # inside a transaction, so the rollback-per-test fixtures cannot serve it.
    case.call_and_validate(
        app=WSGIHandler(),
        base_url=f"http://{committed_loyalty.merchant.primary_host}",
        headers={"Authorization": f"Bearer {committed_loyalty.key}"},
        checks=checks,
    )


def test_negotiation_errors_are_documented(committed_loyalty: Loyalty) -> None:
    """What schemathesis does not send: an `Accept` no renderer satisfies, a body that is not
    JSON. Each operation's answer to them is one its description lists."""
    client = client_for(
        committed_loyalty.merchant, HTTP_AUTHORIZATION=f"Bearer {committed_loyalty.key}"
    )
    values = {
        "program_id": committed_loyalty.stamps_program.pk,
        "pin_id": committed_loyalty.stamps_pin_id,
        "message_id": 1,
        "card_number": "0000000000",
        "store_code": "main",
        "serial": "unknown",
        "serial_number": "unknown",
        "device_library_id": "0123456789abcdef",
        "pass_type_id": "pass.example.loyalty",
        "customer_id": new_card(committed_loyalty).customer_id,
    }
    seen = set()
    for path, operations in DESCRIPTION["paths"].items():
        url = re.sub(r"\{(\w+)\}", lambda match: str(values[match[1]]), path)
        for method, operation in operations.items():
            documented = set(operation["responses"])
            answer = client.generic(method.upper(), url, HTTP_ACCEPT="application/xml")
            assert str(answer.status_code) in documented, (method, path, answer.content)
            binary = operation["responses"][str(answer.status_code)].get("content", {})
            if answer["Content-Type"] not in binary or "application/json" in binary:
                # Errors are JSON whatever was asked; an image stays an image.
                assert answer["Content-Type"] == "application/json", (method, path)
            seen.add(answer.status_code)
            if "requestBody" in operation:
                answer = client.generic(method.upper(), url, "x", content_type="text/plain")
                assert str(answer.status_code) in documented, (method, path, answer.content)
                assert answer.json()["code"] == "unsupported_media_type"
    assert {404, 406} <= seen
