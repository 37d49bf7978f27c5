"""Certificates for a grading cluster: one CA, a certificate for each Dask role, and the
Dask configuration that names them (``python -m autograder cluster-certificates DIR``).

Dask's TLS verifies both ends against the CA file (``distributed.security``), so only a
process holding a key certified by this CA can talk to the scheduler. The CA's own key
is never written: nobody, the instructor included, can certify one more key later, and
rotating means running the command again and copying the new files.
"""
from __future__ import annotations

import datetime
import os
from pathlib import Path

import yaml

ROLES = ("scheduler", "worker", "client")
CONFIG_FILE = "autograder-tls.yaml"


def _name(common_name: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cnncourse grading cluster"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, issuer, public_key, signing_key, days: int, ca: bool):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID

    now = datetime.datetime.now(datetime.timezone.utc)
    usage = dict(digital_signature=not ca, content_commitment=False, key_encipherment=False,
                 data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                 encipher_only=False, decipher_only=False)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
               .add_extension(x509.KeyUsage(**usage), critical=True))
    if not ca:  # each Dask process both listens and connects
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                               ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def _write(path: Path, data: bytes, private: bool) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as file:
        file.write(data)


def write_certificates(folder: Path, days: int = 365) -> Path:
    """Write ``ca.pem``, ``<role>.pem`` and ``<role>-key.pem`` for each role, and the Dask
    configuration naming them (``autograder-tls.yaml``); returns the configuration's path."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    clashes = [p.name for p in folder.iterdir() if p.name in {"ca.pem", CONFIG_FILE} or p.name.startswith(ROLES)]
    if clashes:
        raise FileExistsError(f"{folder} already holds {', '.join(sorted(clashes))}: choose an empty folder")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("cnncourse grading CA")
    ca = _certificate(ca_name, ca_name, ca_key.public_key(), ca_key, days, ca=True)
    _write(folder / "ca.pem", ca.public_bytes(serialization.Encoding.PEM), private=False)
    tls = {"ca-file": str(folder / "ca.pem")}
    for role in ROLES:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate(_name(f"cnncourse grading {role}"), ca_name, key.public_key(), ca_key, days, ca=False)
        _write(folder / f"{role}.pem", cert.public_bytes(serialization.Encoding.PEM), private=False)
        _write(folder / f"{role}-key.pem", key.private_bytes(serialization.Encoding.PEM,
               serialization.PrivateFormat.PKCS8, serialization.NoEncryption()), private=True)
        tls[role] = {"cert": str(folder / f"{role}.pem"), "key": str(folder / f"{role}-key.pem")}
    config = folder / CONFIG_FILE
    config.write_text(yaml.safe_dump({"distributed": {"comm": {"require-encryption": True, "tls": tls}}},
                                     sort_keys=False))
    return config
