"""A private CA and a broker certificate made for a test session, with the openssl CLI.

The ``cryptography`` package is not a dependency of the project; openssl is on every
machine that has Mosquitto (and deploy/make-certs.sh uses it too).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

# Long enough for any test session, short enough that a leaked test key is worthless.
VALID_DAYS = 2
# The name the broker's certificate is issued for: the rig's brokers listen here.
BROKER_HOST = "127.0.0.1"


class OpensslMissingError(RuntimeError):
    pass


@dataclass(frozen=True)
class CertificateAuthority:
    """A CA's certificate and key (PEM files)."""

    cert: Path
    key: Path


@dataclass(frozen=True)
class ServerCertificate:
    cert: Path
    key: Path
    ca: CertificateAuthority


def _openssl(*args: str) -> None:
    binary = shutil.which("openssl")
    if binary is None:
        raise OpensslMissingError("openssl is not installed (apt-get install openssl)")
    result = subprocess.run([binary, *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {result.stderr.strip()}")


def make_ca(directory: Path, name: str) -> CertificateAuthority:
    """A self-signed CA named ``name`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = CertificateAuthority(cert=directory / f"{name}.crt", key=directory / f"{name}.key")
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        str(ca.key),
        "-out",
        str(ca.cert),
        "-days",
        str(VALID_DAYS),
        "-subj",
        f"/CN={name}",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    )
    return ca


def issue_server_certificate(
    ca: CertificateAuthority, directory: Path, host: str = BROKER_HOST
) -> ServerCertificate:
    """A certificate for a TLS server at ``host`` (an IP address), signed by ``ca``."""
    directory.mkdir(parents=True, exist_ok=True)
    key, csr, cert = directory / "server.key", directory / "server.csr", directory / "server.crt"
    _openssl(
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        str(key),
        "-out",
        str(csr),
        "-subj",
        f"/CN={host}",
    )
    extensions = directory / "server.ext"
    extensions.write_text(
        f"subjectAltName=IP:{host}\nextendedKeyUsage=serverAuth\n"
        "basicConstraints=critical,CA:FALSE\n",
        encoding="utf-8",
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        str(csr),
        "-CA",
        str(ca.cert),
        "-CAkey",
        str(ca.key),
        "-CAcreateserial",
        "-out",
        str(cert),
        "-days",
        str(VALID_DAYS),
        "-extfile",
        str(extensions),
    )
    return ServerCertificate(cert=cert, key=key, ca=ca)
