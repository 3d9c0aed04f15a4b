"""The loaded content, kept compiled between starts: `bot run` reads one file instead of every YAML.

Reading and validating content/ and building its search index takes most of a start
(about 0.9 s of 2). The result is pickled under var/cache/, named by a fingerprint of
every content file (path, size, modification time) and of the code that reads them, so
any edit to a lesson, or to the loader, makes a new cache: what is served is always what
`load_content` would give, validated the same way. A cache that cannot be read is simply
rebuilt. The files are the project's own (never uploaded), so unpickling them is safe.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from pathlib import Path

from bot.config import PROJECT_ROOT
from bot.content import loader, models, search
from bot.content.loader import CONTENT_DIR, Content, load_content
from bot.content.search import index_of

CACHE_DIR = PROJECT_ROOT / "var" / "cache"
_CODE = (loader.__file__, models.__file__, search.__file__)
log = logging.getLogger(__name__)


def fingerprint(root: Path = CONTENT_DIR) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.yaml")):
        stat = path.stat()
        digest.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    for code in _CODE:
        digest.update(Path(code).read_bytes())
    return digest.hexdigest()[:24]


def load_cached(root: Path = CONTENT_DIR, cache_dir: Path = CACHE_DIR) -> Content:
    """`load_content(root)` with its search index built, from the cache when it is current."""
    path = cache_dir / f"content-{fingerprint(root)}.pickle"
    try:
        content = pickle.loads(path.read_bytes())
        if isinstance(content, Content):
            return content
    except FileNotFoundError:
        pass
    except Exception as exc:  # a truncated or foreign file: rebuild it
        log.warning("content cache %s unreadable (%s); rebuilding", path.name, exc)
    content = load_content(root)
    index_of(content)
    _write(path, content)
    return content


def _write(path: Path, content: Content) -> None:
    """Atomically (a half-written cache is never read), removing the caches of older content."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
            handle.write(pickle.dumps(content, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(handle.name, path)
        for old in path.parent.glob("content-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as exc:  # a read-only checkout still starts, only slower
        log.warning("content cache not written (%s)", exc)
