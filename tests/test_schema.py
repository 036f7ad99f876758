"""Schemathesis against the real app over the seed corpus index: every check, every phase.

``schema.parametrize()`` runs the examples, coverage and fuzzing phases with positive and
negative data (the installed schemathesis enables all of them by default); ``as_state_machine()``
is the stateful phase, chaining uploads to their jobs and documents to their reads and deletions
through the links schemathesis infers. Every built-in check runs, as ``--checks all`` does.
Small limits keep the generated cases cheap; the schema states them, so they are part of the contract.
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import InferenceAlgorithm
from test_api import API_KEY, HEADERS, private_index

from search_api.app import create_app
from search_api.settings import Settings

load_all_checks()
ALL_CHECKS = CHECKS.get_all()
# A multipart file part is bytes, whatever they spell: "true" sent as a file is a file (named like its
# field, so the job reports it rejected by type). Schemathesis counts it as a schema-violating request,
# so for uploads the check that such requests are refused is left out, in every phase; every other
# check still runs.
UPLOAD_CHECKS = [check for check in ALL_CHECKS if check.__name__ != "negative_data_rejection"]
# POST /replies/read reads the one file it is sent: any bytes are schema-valid, but only some are a
# readable proposal (a known suffix, text inside), and the others are a 422 that says why; so for it
# the check that schema-valid requests succeed is left out; every other check still runs.
READ_CHECKS = [check for check in ALL_CHECKS if check.__name__ != "positive_data_acceptance"]


def checks_for(case) -> list:
    operation = (case.method.upper(), case.path)
    return UPLOAD_CHECKS if operation == ("POST", "/documents") else (
        READ_CHECKS if operation == ("POST", "/replies/read") else ALL_CHECKS)
EXAMPLES = 25  # per operation and phase; the stateful phase runs SCENARIOS scenarios of up to STEPS calls
SCENARIOS, STEPS = 30, 8
SETTINGS = {"deadline": None, "database": None, "suppress_health_check": list(hypothesis.HealthCheck)}
LIMITS = {"max_query_chars": 100, "max_similar_chars": 300, "max_top_k": 10, "max_upload_bytes": 4096,
          "max_body_bytes": 16384, "max_json_bytes": 8192}


class Forward:
    """The ASGI app schemathesis calls: HTTP goes to the app the fixture started (``target``).

    The schema is loaded when this module is imported, before any fixture exists, so it is read
    from an app with the same limits that never starts; the real app's lifespan is run by the fixture.
    """

    def __init__(self) -> None:
        self.target = create_app(Settings(index_dir="unused", upload_dir="unused", api_key=API_KEY, **LIMITS))

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":  # the fixture runs the target's lifespan
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await self.target(scope, receive, send)


FORWARD = Forward()
# the staff web page's own endpoints (/web/api, tag "web page") belong to tests/test_web.py
schema = schemathesis.openapi.from_asgi("/openapi.json", FORWARD).exclude(tag="web page")
# the schema declares its links (search_api/openapi.py), and uploads answer Location: /jobs/{id};
# schemathesis's own dependency analysis would also chain POST /documents to GET /documents/{doc_id}
# with the job's doc_id, which is null until the job is done: an upload is a job, not a document
schema.config.phases.stateful.inference.algorithms = [InferenceAlgorithm.LOCATION_HEADERS]
schema.config.update(headers=HEADERS)  # the admin key on every call; checks know it is not generated
# a body over the declared size limit is refused unread with 413 Content Too Large: a rejection too
_rejections = schema.config.checks.negative_data_rejection
_rejections.expected_statuses = [*_rejections.expected_statuses, "413"]


def _ordered(values: object) -> None:
    dated = isinstance(values, dict) and all(isinstance(values.get(k), str) for k in ("date_from", "date_to"))
    if dated and values["date_from"] > values["date_to"]:
        values["date_from"], values["date_to"] = values["date_to"], values["date_from"]


@schema.hook
def map_case(context, case):
    """The one rule a JSON schema cannot state: date_from <= date_to (a reversed range is a 422
    that says so); generated filters are put in order, everything else stays as generated."""
    if isinstance(case.body, dict):
        _ordered(case.body.get("filters"))
    _ordered(case.query)
    return case


@pytest.fixture(scope="module", autouse=True)
def live_app(corpus_index_dir, tmp_path_factory, e5):
    """The real app over a private copy of the seed corpus index, with the LIMITS the schema states."""
    root = tmp_path_factory.mktemp("schema")
    settings = Settings(index_dir=private_index(corpus_index_dir, root / "index"), upload_dir=root / "uploads",
                        audit_dir=root / "audit", api_key=API_KEY, **LIMITS)
    FORWARD.target = create_app(settings, embedder=e5)
    with TestClient(FORWARD.target):  # the lifespan loads the index before the first case
        yield FORWARD.target


def test_every_check_is_enabled():
    """The checks run below are the whole built-in set, the CLI's ``--checks all``."""
    names = {check.__name__ for check in ALL_CHECKS}
    assert {"not_a_server_error", "status_code_conformance", "response_schema_conformance",
            "negative_data_rejection", "positive_data_acceptance", "use_after_free",
            "ensure_resource_availability", "ignored_auth"} <= names


@schema.parametrize()
@hypothesis.settings(max_examples=EXAMPLES, **SETTINGS)
def test_every_operation_keeps_its_contract(case):
    case.call_and_validate(checks=checks_for(case))


def test_call_sequences_keep_the_contract():
    """The stateful phase: uploads, their jobs, documents read, searched and deleted in sequences."""

    called: set[tuple[str, str, int]] = set()

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def after_call(self, response, case):
            super().after_call(response, case)
            called.add((case.method.upper(), case.path, response.status_code))

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=checks_for(case),
                                   transport_kwargs=kwargs or None, recorder=self.recorder)

    # The server keeps its state between scenarios and finishes upload jobs in the background, so a
    # replayed scenario can meet a job that is done where it was running (no Location to follow):
    # hypothesis reports that as inconsistent data generation, not as a broken contract. Such a run
    # is tried once more with new scenarios; a contract failure is never retried.
    scenarios = hypothesis.settings(max_examples=SCENARIOS, stateful_step_count=STEPS, **SETTINGS)
    try:
        Workflow.run(settings=scenarios)
    except hypothesis.errors.FlakyStrategyDefinition:
        Workflow.run(settings=scenarios)
    # the links were followed: jobs polled after uploads, listed documents read
    assert {("GET", "/jobs/{job_id}", 200), ("GET", "/documents/{doc_id}", 200)} <= called, sorted(called)
