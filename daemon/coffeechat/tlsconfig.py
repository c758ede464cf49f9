"""One place that builds TLS contexts: system trust store plus an optional extra CA file."""

from __future__ import annotations

import ssl
from pathlib import Path


def client_context(ca_file: Path | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    if ca_file is not None:
        ctx.load_verify_locations(cafile=str(ca_file))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def describe_tls_error(exc: BaseException) -> str:
    """A human reason for a TLS failure, naming the usual fix."""
    text = str(exc)
    if isinstance(exc, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in text:
        return (
            f"the server's TLS certificate is not trusted ({getattr(exc, 'verify_message', text)});"
            " set ca_file to its CA certificate if it is self-hosted"
        )
    if "WRONG_VERSION_NUMBER" in text or "record layer failure" in text:
        return (
            "the server did not answer with TLS on this port; check port and security "
            "(tls = implicit TLS, starttls = plain port upgraded)"
        )
    return f"TLS failed: {text}"
