"""The embedded cluster's password: the secret file, its SCRAM verifier and the managed pg_hba.conf.

No project imports here, so both the settings (which read the secret lazily for the DSN) and the
cluster manager (which creates it) can use this module without an import cycle.
"""

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

PASSWORD_FILE = "db-password"
SCRAM_ITERATIONS = 4096
HBA = (
    "# Managed by spatial-platform: password (SCRAM-SHA-256) authentication only, no trust.\n"
    "# TYPE  DATABASE  USER  ADDRESS        METHOD\n"
    "local   all       all                  scram-sha-256\n"
    "host    all       all   127.0.0.1/32   scram-sha-256\n"
)


def read_secret(path: Path) -> str | None:
    """Return the password stored in ``path``; None when the file does not exist."""
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None
    except PermissionError:
        raise PermissionError(
            f"cannot read the database password in {path}: run as the user who owns it (or root)"
        ) from None


def ensure_secret(path: Path) -> str:
    """Return the password in ``path``, first generating one in a new file of mode 0600."""
    existing = read_secret(path)
    if existing:
        return existing
    password = secrets.token_urlsafe(32)
    path.unlink(missing_ok=True)  # an empty or broken file
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, password.encode())
    finally:
        os.close(fd)
    return password


def scram_verifier(password: str, salt: bytes | None = None) -> str:
    """Return the SCRAM-SHA-256 verifier PostgreSQL stores, so the password never reaches the server."""
    salt = salt or os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, SCRAM_ITERATIONS)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def uses_trust(hba_text: str) -> bool:
    """Tell whether a pg_hba.conf has any active line with the ``trust`` method."""
    for line in hba_text.splitlines():
        fields = line.split("#", 1)[0].split()
        if fields and "trust" in fields:
            return True
    return False
