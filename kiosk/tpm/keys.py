"""The kiosk's keys inside its TPM 2.0 (tpm2-pytss over a TCTI: /dev/tpmrm0, or swtpm).

Three keys, all ECC P-256, created inside the TPM under the owner hierarchy's standard
storage key, with ``fixedTPM | fixedParent | sensitiveDataOrigin``: their private parts were
made in the TPM and can never leave it. What is kept on disk is the TPM's own encrypted blob
in the ``TSS2 PRIVATE KEY`` format (which Debian's tpm2-openssl provider loads too); copied to
another machine it is useless, because only this TPM's storage key can unwrap it.

- ``kiosk.tls.key``: the TLS client key (its certificate comes from the operator CA).
- ``attestation.key``: a restricted signing key (AK): it signs only TPM-made structures,
  quotes of the PCRs and certifications of the other two keys.
- ``evidence.key``: signs the face evidence. Its ``authPolicy`` is TPM2_PolicyPCR over the PCR
  values at enrolment and it has no ``userWithAuth``: the TPM signs with it only while the
  measured state (firmware, boot loader, kernel ... as the PCRs record them) is unchanged.

``tpm-identity.json`` beside them holds the public facts (PCR selection and policy digest).
Every file is written with mode 0600, whatever the folder held before.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk_protocol import tpm as tpm_format

TLS_KEY_FILE = "kiosk.tls.key"
ATTESTATION_KEY_FILE = "attestation.key"
EVIDENCE_KEY_FILE = "evidence.key"
IDENTITY_FILE = "tpm-identity.json"
DEFAULT_TCTI = "device:/dev/tpmrm0"
DEFAULT_PCRS = tpm_format.PcrSelection((0, 1, 2, 3, 4, 5, 7))
EK_CERT_INDEX = 0x01C00002  # TCG: RSA 2048 EK certificate
TSS2_PEM_HEADER = b"-----BEGIN TSS2 PRIVATE KEY-----"


class TpmError(Exception):
    """The TPM is unreachable or refused an operation; the text says which and why."""


def is_tpm_key_file(path: Path) -> bool:
    """Whether ``path`` holds a TPM-wrapped key (``TSS2 PRIVATE KEY``) rather than a plain one."""
    try:
        with path.open("rb") as handle:
            return handle.read(len(TSS2_PEM_HEADER)) == TSS2_PEM_HEADER
    except OSError:
        return False


def write_private_file(path: Path, data: bytes) -> None:
    """Write ``data`` with mode 0600 atomically: a new inode, so an existing file's looser
    mode or owner is never inherited."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _tss() -> Any:
    # The TSS logs expected misses (an absent NV index) to stderr; we report errors ourselves.
    os.environ.setdefault("TSS2_LOG", "all+NONE")
    try:
        import tpm2_pytss
    except ImportError as error:  # the shared libtss2 libraries are missing
        raise TpmError(f"the TPM software stack is not installed ({error})") from None
    return tpm2_pytss


@dataclass(frozen=True)
class Certified:
    """A key's public area and the AK's certification of it (TPMS_ATTEST, TPMT_SIGNATURE)."""

    public: bytes
    attest: bytes
    signature: bytes


@dataclass(frozen=True)
class EnrollmentMaterial:
    """What enrolment sends to the operator: public parts only."""

    tls: Certified
    attestation_public: bytes
    evidence: Certified
    selection: tpm_format.PcrSelection
    pcr_digest: bytes
    ek_public: bytes
    ek_certificate: bytes | None


@dataclass(frozen=True)
class MeasuredState:
    selection: tpm_format.PcrSelection
    values: list[bytes]

    @property
    def digest(self) -> bytes:
        return tpm_format.pcr_digest(self.values)


class KioskTpm:
    """The TPM behind ``tcti`` and the kiosk's key folder."""

    def __init__(self, tcti: str, folder: Path) -> None:
        self.tcti = tcti
        self.folder = folder

    # --- plumbing ------------------------------------------------------------------------

    @contextmanager
    def _esapi(self) -> Iterator[Any]:
        tss = _tss()
        try:
            link = tss.TCTILdr.parse(self.tcti)
        except Exception as error:
            raise TpmError(f"cannot open the TPM at {self.tcti!r} ({_why(error)})") from None
        try:
            context = tss.ESAPI(link)
        except Exception as error:
            link.close()
            raise TpmError(f"cannot open the TPM at {self.tcti!r} ({_why(error)})") from None
        try:
            yield context
        except TpmError:
            raise
        except Exception as error:
            raise TpmError(f"the TPM refused: {_why(error)}") from None
        finally:
            context.close()
            link.close()  # at once: a resource manager allows few connections

    def _key(self, name: str) -> Any:
        _tss()
        from tpm2_pytss.tsskey import TSSPrivKey

        path = self.folder / name
        try:
            return TSSPrivKey.from_pem(path.read_bytes())
        except OSError as error:
            raise TpmError(f"{path}: cannot read ({error.strerror})") from None
        except Exception as error:
            raise TpmError(f"{path}: not a TPM key file ({_why(error)})") from None

    def identity(self) -> dict[str, str]:
        path = self.folder / IDENTITY_FILE
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as error:
            raise TpmError(f"{path}: unreadable ({type(error).__name__})") from None
        if not isinstance(data, dict) or not isinstance(data.get("pcr_selection"), str):
            raise TpmError(f"{path}: not a kiosk TPM identity")
        return {str(key): str(value) for key, value in data.items()}

    def selection(self) -> tpm_format.PcrSelection:
        return tpm_format.PcrSelection.parse_text(self.identity()["pcr_selection"])

    # --- facts -----------------------------------------------------------------------------

    def describe(self) -> dict[str, str]:
        """Manufacturer and firmware of the TPM (for diagnostics)."""
        tss = _tss()
        with self._esapi() as esapi:
            _, data = esapi.get_capability(
                tss.TPM2_CAP.TPM_PROPERTIES, tss.TPM2_PT.FIXED, 64)
            properties = {int(p.property): int(p.value) for p in data.data.tpmProperties}
        manufacturer = properties.get(int(tss.TPM2_PT.MANUFACTURER), 0)
        text = manufacturer.to_bytes(4, "big").rstrip(b"\0").decode("ascii", "replace")
        major = properties.get(0x10B, 0)  # TPM2_PT_FIRMWARE_VERSION_1
        return {"manufacturer": text or "unknown",
                "firmware": f"{major >> 16}.{major & 0xFFFF}"}

    def measured_state(self, selection: tpm_format.PcrSelection | None = None) -> MeasuredState:
        """The current values of the selected SHA-256 PCRs."""
        chosen = selection or self.selection()
        values: list[bytes] = []
        with self._esapi() as esapi:
            pending = list(chosen.pcrs)
            while pending:  # the TPM answers at most 8 PCRs per read
                _, _, digests = esapi.pcr_read(
                    "sha256:" + ",".join(str(p) for p in pending[:8]))
                got = [bytes(digests.digests[i]) for i in range(digests.count)]
                if not got:
                    raise TpmError("the TPM has no SHA-256 PCR bank")
                values += got
                pending = pending[len(got):]
        return MeasuredState(chosen, values)

    def extend_pcr(self, pcr: int, data: bytes) -> None:
        """Extend a PCR with SHA-256(data) (a measurement; tests use it to change the state)."""
        tss = _tss()
        digest = hashlib.sha256(data).digest()
        with self._esapi() as esapi:
            values = tss.TPML_DIGEST_VALUES([tss.TPMT_HA(
                hashAlg=tss.TPM2_ALG.SHA256, digest=tss.TPMU_HA(sha256=digest))])
            esapi.pcr_extend(getattr(tss.ESYS_TR, f"PCR{pcr}"), values)

    def reset_pcr(self, pcr: int) -> None:
        """Reset a resettable PCR (16 and 23 at locality 0; never the boot measurements)."""
        with self._esapi() as esapi:
            esapi.pcr_reset(getattr(_tss().ESYS_TR, f"PCR{pcr}"))

    def check_keys(self) -> None:
        """Load each key into the TPM once (and flush it): raises TpmError when a blob is not
        this TPM's (copied from another kiosk) or a file is missing or damaged."""
        keys = [(name, self._key(name)) for name in
                (TLS_KEY_FILE, ATTESTATION_KEY_FILE, EVIDENCE_KEY_FILE)]
        self.selection()
        with self._esapi() as esapi:
            for name, key in keys:
                try:
                    handle = key.load(esapi)
                except Exception as error:
                    raise TpmError(f"{self.folder / name}: this TPM cannot load it "
                                   f"({_why(error)}); enrol the kiosk again") from None
                esapi.flush_context(handle)

    # --- enrolment -------------------------------------------------------------------------

    def create_keys(self, selection: tpm_format.PcrSelection = DEFAULT_PCRS
                    ) -> EnrollmentMaterial:
        """Create the three keys in the TPM, write their blobs (0600), and return the public
        parts, certified by the AK, for the operator."""
        tss = _tss()
        from tpm2_pytss.tsskey import TSSPrivKey

        state = self.measured_state(selection)
        policy = tpm_format.pcr_policy_digest(selection, state.digest)
        with self._esapi() as esapi:
            tls = TSSPrivKey.create_ecc(esapi)
            attestation = TSSPrivKey.create(esapi, _template(tss, restricted=True))
            evidence = TSSPrivKey.create(esapi, _template(tss, policy=policy))
            # One key beside the AK at a time: a TPM without a resource manager has only a
            # few object slots.
            ak = attestation.load(esapi)
            try:
                certified = []
                for blob in (tls, evidence):
                    handle = blob.load(esapi)
                    try:
                        certified.append(self._certify(esapi, handle, ak, blob))
                    finally:
                        esapi.flush_context(handle)
            finally:
                esapi.flush_context(ak)
            ek_public, ek_certificate = _endorsement(esapi)
        self.folder.mkdir(parents=True, exist_ok=True)
        for name, key in ((TLS_KEY_FILE, tls), (ATTESTATION_KEY_FILE, attestation),
                          (EVIDENCE_KEY_FILE, evidence)):
            write_private_file(self.folder / name, key.to_pem())
        write_private_file(self.folder / IDENTITY_FILE, json.dumps({
            "pcr_selection": selection.text(),
            "pcr_digest": state.digest.hex(),
            "policy_digest": policy.hex(),
        }, indent=2).encode("utf-8"))
        return EnrollmentMaterial(
            tls=certified[0],
            attestation_public=attestation.public.publicArea.marshal(),
            evidence=certified[1],
            selection=selection,
            pcr_digest=state.digest,
            ek_public=ek_public,
            ek_certificate=ek_certificate,
        )

    @staticmethod
    def _certify(esapi: Any, handle: Any, ak: Any, key: Any) -> Certified:
        tss = _tss()
        attest, signature = esapi.certify(
            handle, ak, tss.TPM2B_DATA(b"kiosk-pin-reset/enrol"),
            tss.TPMT_SIG_SCHEME(scheme=tss.TPM2_ALG.NULL))
        return Certified(key.public.publicArea.marshal(), attest.marshal()[2:],
                         signature.marshal())

    def sign_with_tls_key(self, message: bytes) -> bytes:
        """A DER ECDSA/SHA-256 signature by the TLS key (for the certificate request)."""
        tss = _tss()
        scheme = tss.TPMT_SIG_SCHEME(
            scheme=tss.TPM2_ALG.ECDSA,
            details=tss.TPMU_SIG_SCHEME(ecdsa=tss.TPMS_SCHEME_HASH(hashAlg=tss.TPM2_ALG.SHA256)))
        key = self._key(TLS_KEY_FILE)
        with self._esapi() as esapi:
            handle = key.load(esapi)
            try:
                signature = esapi.sign(
                    handle, tss.TPM2B_DIGEST(hashlib.sha256(message).digest()), scheme,
                    tss.TPMT_TK_HASHCHECK(tag=tss.TPM2_ST.HASHCHECK, hierarchy=tss.TPM2_RH.NULL))
            finally:
                esapi.flush_context(handle)
        return tpm_format.parse_ecdsa_signature(signature.marshal())

    def tls_public_key_pem(self) -> bytes:
        pem: bytes = self._key(TLS_KEY_FILE).public.to_pem()
        return pem

    # --- every transaction -----------------------------------------------------------------

    def sign_evidence(self, payload: bytes, qualifying_data: bytes) -> tuple[bytes, bytes, bytes]:
        """Sign ``payload`` with the PCR-bound evidence key and quote the PCRs with
        ``qualifying_data``. Returns (DER signature, quote TPMS_ATTEST, quote TPMT_SIGNATURE).

        Raises TpmError when the measured state differs from enrolment: the TPM then refuses
        the policy and signs nothing.
        """
        tss = _tss()
        selection = self.selection().text()
        evidence, attestation = self._key(EVIDENCE_KEY_FILE), self._key(ATTESTATION_KEY_FILE)
        with self._esapi() as esapi:
            handles = [evidence.load(esapi), attestation.load(esapi)]
            session = esapi.start_auth_session(
                tss.ESYS_TR.NONE, tss.ESYS_TR.NONE, tss.TPM2_SE.POLICY,
                tss.TPMT_SYM_DEF(algorithm=tss.TPM2_ALG.NULL), tss.TPM2_ALG.SHA256)
            handles.append(session)
            try:
                esapi.policy_pcr(session, tss.TPM2B_DIGEST(), selection)
                try:
                    signature = esapi.sign(
                        handles[0], tss.TPM2B_DIGEST(hashlib.sha256(payload).digest()),
                        tss.TPMT_SIG_SCHEME(scheme=tss.TPM2_ALG.NULL),
                        tss.TPMT_TK_HASHCHECK(tag=tss.TPM2_ST.HASHCHECK,
                                              hierarchy=tss.TPM2_RH.NULL),
                        session1=session)
                except Exception as error:
                    raise TpmError("the TPM refused to sign the face evidence: the measured "
                                   f"state differs from enrolment ({_why(error)})") from None
                quoted, quote_signature = esapi.quote(
                    handles[1], selection, tss.TPM2B_DATA(qualifying_data))
            finally:
                for handle in handles:
                    esapi.flush_context(handle)
        return (tpm_format.parse_ecdsa_signature(signature.marshal()),
                quoted.marshal()[2:], quote_signature.marshal())


def _template(tss: Any, *, restricted: bool = False, policy: bytes = b"") -> Any:
    attributes = (tss.TPMA_OBJECT.FIXEDTPM | tss.TPMA_OBJECT.FIXEDPARENT
                  | tss.TPMA_OBJECT.SENSITIVEDATAORIGIN | tss.TPMA_OBJECT.SIGN_ENCRYPT)
    if restricted:
        attributes |= tss.TPMA_OBJECT.RESTRICTED | tss.TPMA_OBJECT.USERWITHAUTH
    return tss.TPMT_PUBLIC(
        type=tss.TPM2_ALG.ECC,
        nameAlg=tss.TPM2_ALG.SHA256,
        objectAttributes=attributes,
        authPolicy=policy,
        parameters=tss.TPMU_PUBLIC_PARMS(eccDetail=tss.TPMS_ECC_PARMS(
            symmetric=tss.TPMT_SYM_DEF_OBJECT(algorithm=tss.TPM2_ALG.NULL),
            scheme=tss.TPMT_ECC_SCHEME(
                scheme=tss.TPM2_ALG.ECDSA,
                details=tss.TPMU_ASYM_SCHEME(
                    ecdsa=tss.TPMS_SCHEME_HASH(hashAlg=tss.TPM2_ALG.SHA256))),
            curveID=tss.TPM2_ECC.NIST_P256,
            kdf=tss.TPMT_KDF_SCHEME(scheme=tss.TPM2_ALG.NULL),
        )),
    )


def _endorsement(esapi: Any) -> tuple[bytes, bytes | None]:
    """The RSA endorsement key's public area (made from the TCG template, as its certificate
    says) and the EK certificate the manufacturer stored in NV memory, if any."""
    tss = _tss()
    from tpm2_pytss.utils import NoSuchIndex, create_ek_template

    def read_nv(index: int) -> bytes:
        try:
            handle = esapi.tr_from_tpmpublic(index)
        except Exception:
            raise NoSuchIndex(index) from None
        public, _ = esapi.nv_read_public(handle)
        size, chunks = int(public.nvPublic.dataSize), list[bytes]()
        while (offset := sum(len(chunk) for chunk in chunks)) < size:
            chunks.append(bytes(esapi.nv_read(handle, min(512, size - offset), offset,
                                              auth_handle=tss.ESYS_TR.RH_OWNER)))
        return b"".join(chunks)

    certificate, template = create_ek_template("EK-RSA2048", read_nv)
    handle, public, _, _, _ = esapi.create_primary(
        None, template, tss.ESYS_TR.ENDORSEMENT)
    esapi.flush_context(handle)
    return public.publicArea.marshal(), (bytes(certificate) if certificate else None)


def _why(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:200]
