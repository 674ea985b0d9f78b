"""A kiosk as its own process, for the kill-and-restart test: ``run`` plays one resident's
transaction over the real stack with a journal; ``reconcile`` is what a restarted kiosk does
first. Prints JSON lines (never a secret)."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from kiosk.backend_client import BackendClient, BackendClientConfig
from kiosk.card_reader.card_info import TrustAnchors
from kiosk.journal import Journal, reconcile
from tests.faults.stack import resident_camera, run_flow


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["run", "reconcile"])
    parser.add_argument("--journal", type=Path, required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--bundle", type=Path, required=True)
    parser.add_argument("--anchor-pem", type=Path)
    parser.add_argument("--anchor-keyid", type=Path)
    parser.add_argument("--photo", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    config = BackendClientConfig.from_bundle(
        args.url, args.bundle, retry_backoff=0.01, read_timeout=120.0
    )
    journal = Journal(args.journal)
    if args.mode == "reconcile":
        with BackendClient(config) as client:
            for settled in reconcile(journal, client):
                print(json.dumps({"transaction": settled.transaction_id,
                                  "outcome": settled.outcome,
                                  "answer_delivered": settled.answer_delivered}), flush=True)
        print(json.dumps({"reconciled": True}), flush=True)
        return
    anchors = TrustAnchors.from_pem_file(args.anchor_pem, args.anchor_keyid.read_text().strip())
    run = run_flow(anchors, config, resident_camera(args.photo), journal, timeout=180)
    print(json.dumps({"success": run.result.success, "code": run.result.code}), flush=True)


if __name__ == "__main__":
    main()
