#!/usr/bin/env python3
"""Adds, changes or deletes a user in EMQX's built-in database bootstrap file.

The EMQX counterpart of ``mosquitto_passwd -b``: deploy/emqx/emqx.conf reads
/opt/emqx/etc/tanfang/users.csv (docker-compose.emqx.yml mounts deploy/emqx/users.csv
there) with ``bootstrap_type = hash``. The file holds PBKDF2-HMAC-SHA256 hashes, never
passwords, in the format EMQX imports (user_id,password_hash,salt,is_superuser).

    deploy/emqx/emqx-passwd.py deploy/emqx/users.csv tanfang-gateway "<password>"
    deploy/emqx/emqx-passwd.py deploy/emqx/users.csv pat-7f3a "<the device's password>"
    deploy/emqx/emqx-passwd.py -D deploy/emqx/users.csv pat-7f3a

EMQX imports the file when it starts: it adds the users it does not have and never changes
nor deletes one it has. On a running broker, change or retire a user with the HTTP API as
well (docs/deploy.md, "EMQX instead of Mosquitto").
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import re
import secrets
import sys
import tempfile
from pathlib import Path

# Must match password_hash_algorithm in deploy/emqx/emqx.conf (a test checks it).
MAC_FUN = "sha256"
ITERATIONS = 1000
DK_LENGTH = 32
HEADER = ("user_id", "password_hash", "salt", "is_superuser")
# The contract's device id, and the gateway's user: never a character that is a wildcard or
# a level separator, which ${username} in deploy/emqx/acl.conf would turn into a pattern.
USERNAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def hash_password(password: str, salt: str) -> str:
    """EMQX's pbkdf2 hash: lowercase hex of PBKDF2(password, salt as given)."""
    derived = hashlib.pbkdf2_hmac(
        MAC_FUN, password.encode("utf-8"), salt.encode("utf-8"), ITERATIONS, DK_LENGTH
    )
    return derived.hex()


def read_users(path: Path) -> dict[str, tuple[str, str, str]]:
    if not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    if rows and tuple(rows[0]) != HEADER:
        raise SystemExit(f"{path}: not an EMQX users file (first line {rows[0]})")
    return {row[0]: (row[1], row[2], row[3]) for row in rows[1:] if row}


def write_users(path: Path, users: dict[str, tuple[str, str, str]]) -> None:
    """Atomically, readable by its owner and group only (it holds password hashes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file, lineterminator="\n")
            writer.writerow(HEADER)
            for user_id in sorted(users):
                writer.writerow((user_id, *users[user_id]))
        os.chmod(tmp, 0o640)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-D", "--delete", action="store_true", help="delete the user")
    parser.add_argument("file", type=Path)
    parser.add_argument("username")
    parser.add_argument("password", nargs="?")
    args = parser.parse_args(argv)
    if not USERNAME.fullmatch(args.username):
        parser.error("username: 1-64 characters of A-Z a-z 0-9 _ . - (a device id)")
    users = read_users(args.file)
    if args.delete:
        if users.pop(args.username, None) is None:
            parser.error(f"username: no user {args.username} in {args.file}")
    else:
        if not args.password:
            parser.error("password: required (give each device its own, random and long)")
        salt = secrets.token_hex(16)
        users[args.username] = (hash_password(args.password, salt), salt, "false")
    write_users(args.file, users)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
