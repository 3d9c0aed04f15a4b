"""Each person's files (certificates, invitation QR codes, their data export) live in one folder.

The folder's name is an HMAC of the person's id under the signing key: links to the
files cannot be guessed from an id, every file of a person is found without a
register, and deleting the person removes the folder and all that was ever made
for them (`bot.privacy.erase`).
"""

from __future__ import annotations

import hashlib
import hmac
import shutil
from collections.abc import Iterable
from pathlib import Path

PERSON_FOLDER_PREFIX = "p-"


def person_folder(files_dir: Path, signing_key: bytes, user_id: int) -> Path:
    """files_dir/p-<22 characters>: the same folder for the same person, every time."""
    digest = hmac.new(signing_key, f"files:{user_id}".encode(), hashlib.sha256).hexdigest()[:22]
    return files_dir / f"{PERSON_FOLDER_PREFIX}{digest}"


def remove_folders(files_dir: Path, signing_key: bytes, user_ids: Iterable[int]) -> int:
    """Deletes the folders of these people; how many existed."""
    removed = 0
    for user_id in user_ids:
        folder = person_folder(files_dir, signing_key, user_id)
        if folder.is_dir():
            shutil.rmtree(folder)
            removed += 1
    return removed
