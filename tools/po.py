"""Adds or updates interface messages in both catalogs: `python tools/po.py messages.yaml`.

The YAML maps a message key to {vi: ..., en: ...}. The .po files stay the source of
truth; this only saves translators from hand-escaping multi-line strings.
"""

import sys
from pathlib import Path

import yaml
from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parent.parent / "bot" / "locales"


def main(path: str) -> None:
    entries = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    for lang in ("vi", "en"):
        po_path = LOCALES / lang / "LC_MESSAGES" / "messages.po"
        if po_path.exists():
            with po_path.open("rb") as handle:
                catalog = read_po(handle, locale=lang)
        else:
            from babel.messages.catalog import Catalog

            catalog = Catalog(locale=lang, project="bot", charset="utf-8")
        for key, texts in entries.items():
            if key in catalog:
                del catalog[key]
            catalog.add(key, texts[lang].rstrip("\n"))
        po_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("wb") as handle:
            write_po(handle, catalog, width=100, sort_output=True, omit_header=False)


if __name__ == "__main__":
    main(sys.argv[1])
