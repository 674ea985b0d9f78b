"""The kiosk's TPM: reachable, holding this kiosk's keys, in the measured state of enrolment,
and able to open mutual TLS with its TPM-held key.

A kiosk whose key is a file (a testbed) gets one warning: such a key can be copied.
"""

from __future__ import annotations

from kiosk.backend_client import BackendClient, BackendClientConfig
from kiosk.backend_client.errors import BackendError
from kiosk.config import KioskConfig
from kiosk.diagnostics.model import CheckResult, fail, ok, warn
from kiosk.tpm import KioskTpm, TpmError, is_tpm_key_file


def tpm_checks(config: KioskConfig) -> list[CheckResult]:
    key = config.backend.client_key
    if not is_tpm_key_file(key):
        return [warn("tpm.key", "Kiosk key", "the kiosk key is a file, not in a TPM (testbed "
                     "only: a copied file is a copied kiosk)", key_path=str(key))]
    tpm = KioskTpm(config.tpm.tcti, key.parent)
    results: list[CheckResult] = []
    try:
        facts = tpm.describe()
    except TpmError as error:
        return [fail("tpm.device", "TPM", "the TPM cannot be reached", tcti=config.tpm.tcti,
                     error=str(error)[:200])]
    results.append(ok("tpm.device", "TPM", f"TPM 2.0 by {facts['manufacturer']}",
                      tcti=config.tpm.tcti, **facts))
    try:
        tpm.check_keys()
    except TpmError as error:
        results.append(fail("tpm.key", "Kiosk key", "the TPM cannot use the kiosk's keys",
                            key_folder=str(tpm.folder), error=str(error)[:200]))
        return results
    results.append(ok("tpm.key", "Kiosk key", "the kiosk's keys are held by this TPM",
                      key_folder=str(tpm.folder), location="tpm"))
    identity = tpm.identity()
    state = tpm.measured_state()
    details = {"pcr_selection": identity["pcr_selection"], "pcr_digest": state.digest.hex(),
               "enrolled_pcr_digest": identity.get("pcr_digest", "")}
    if state.digest.hex() != identity.get("pcr_digest"):
        results.append(fail("tpm.measured_state", "Measured state",
                            "the PCRs differ from enrolment: the TPM will sign no evidence "
                            "(firmware, boot loader or kernel changed; enrol again if intended)",
                            **details))
    else:
        results.append(ok("tpm.measured_state", "Measured state",
                          "the PCRs are as at enrolment", **details))
    backend = config.backend
    try:
        with BackendClient(BackendClientConfig(
                base_url=backend.url, client_certificate=backend.client_cert,
                client_key=backend.client_key, ca_certificate=backend.ca_file,
                connect_timeout=backend.connect_timeout, read_timeout=backend.read_timeout,
                retries=0, tpm_tcti=config.tpm.tcti)) as client:
            client.server_key()
    except BackendError as error:
        results.append(fail("tpm.tls", "Mutual TLS with the TPM key",
                            "no mutual TLS with the TPM-held key", error=str(error)[:200]))
    else:
        results.append(ok("tpm.tls", "Mutual TLS with the TPM key",
                          "the backend accepted the TPM-held key"))
    return results
