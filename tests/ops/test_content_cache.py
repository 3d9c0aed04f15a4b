"""The compiled content cache: the same content as the YAML gives, rebuilt when a file changes or the
cache is damaged, and the search index comes with it."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.content.cache import fingerprint, load_cached
from bot.content.loader import CONTENT_DIR, load_content
from bot.content.search import index_of


def test_the_cache_gives_the_content_the_files_give(tmp_path: Path) -> None:
    first = load_cached(cache_dir=tmp_path)
    again = load_cached(cache_dir=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [f"content-{fingerprint()}.pickle"]
    fresh = load_content()
    assert again.faq == fresh.faq and again.lessons == fresh.lessons and again.questions == fresh.questions
    assert again._index is not None and again is not first
    assert index_of(again).search("quen mat khau vneid")[0].id == index_of(fresh).search("quen mat khau vneid")[0].id


def test_an_edited_content_file_or_a_damaged_cache_is_rebuilt(tmp_path: Path) -> None:
    root, cache = tmp_path / "content", tmp_path / "cache"
    shutil.copytree(CONTENT_DIR, root)
    load_cached(root, cache)
    faq = root / "faq" / "general.yaml"
    question = next(
        e.question for e in load_content(root).faq if e.question in faq.read_text(encoding="utf-8"))
    faq.write_text(faq.read_text(encoding="utf-8").replace(question, question + " (đã sửa)", 1), encoding="utf-8")
    edited = load_cached(root, cache)
    assert any(e.question == question + " (đã sửa)" for e in edited.faq)
    assert len(list(cache.glob("content-*.pickle"))) == 1  # the old one is gone
    (cache / f"content-{fingerprint(root)}.pickle").write_bytes(b"not a pickle")
    assert load_cached(root, cache).faq == edited.faq
