"""The generated documents match the code they describe."""

from __future__ import annotations

from kiosk.flow import docs
from kiosk.flow.states import SPECS, Exit, Step


def test_flow_doc_matches_the_transition_table() -> None:
    assert docs.FLOW_DOC.read_text(encoding="utf-8") == docs.flow_markdown(), (
        "docs/flow.md is stale: run python -m kiosk.flow.docs"
    )


def test_failure_codes_doc_matches_the_catalogue() -> None:
    assert docs.FAILURE_DOC.read_text(encoding="utf-8") == docs.failure_codes_markdown(), (
        "docs/failure-codes.md is stale: run python -m kiosk.flow.docs"
    )


def test_diagram_has_every_transition() -> None:
    diagram = docs.mermaid()
    for step, spec in SPECS.items():
        for exit_, target in spec.exits.items():
            line = next(
                (
                    line for line in diagram.splitlines()
                    if line.strip().startswith(f"{step.name} --> {target.name}:")
                ),
                None,
            )
            assert line is not None and exit_.value in line.split(":", 1)[1]


def test_every_step_is_reachable_and_every_transaction_step_can_be_cancelled() -> None:
    reached = {Step.START}
    frontier = [Step.START]
    while frontier:
        for target in SPECS[frontier.pop()].exits.values():
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(Step)
    for spec in SPECS.values():
        if spec.waits_for_resident or spec.in_transaction:
            assert Exit.TIMEOUT in spec.exits
            assert (Exit.CANCEL in spec.exits) == (spec.step != Step.PROCESSING)


def test_check_mode_reports_no_stale_file() -> None:
    assert docs.main(["--check"]) == 0
