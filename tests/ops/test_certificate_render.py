"""Certificate codes (bot/quiz/codes.py) and rendering (bot/quiz/render.py)."""

from __future__ import annotations

import datetime
import io
import re
import unicodedata

import pytest
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from bot.quiz import codes
from bot.quiz.codes import ALPHABET, is_well_signed, new_code, normalize
from bot.quiz.render import (
    OVERALL_TITLE,
    PNG_SIZE,
    TOPIC_TITLE,
    CertificateView,
    location_line,
    render_pdf,
    render_png,
    vietnamese_date,
)

CODE_RE = re.compile(r"^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$")
KEY = b"test-key-for-certificate-codes-0123456789"
OTHER_KEY = b"another-key"

# Fixed random parts, so the exhaustive tamper tests below are deterministic
# (with random codes a substitution in the random part would pass the 25-bit
# MAC with probability 2**-25 -- rare, but a flaky test all the same).
FIXED_BODIES = ["ABCDEFG", "2345678", "ZZZZZZZ", "HJKMNPQ", "W9X8Y7V"]
FIXED_CODES = [codes._sign(KEY, body) for body in FIXED_BODIES]


def _symbols(code: str) -> str:
    return code.replace("-", "")


def _fmt(symbols: str) -> str:
    return "-".join(symbols[i : i + 4] for i in range(0, len(symbols), 4))


# --------------------------------------------------------------------------- codes


def test_alphabet_has_no_look_alikes():
    assert len(ALPHABET) == 32 == len(set(ALPHABET))
    assert not set("O0I1") & set(ALPHABET)


def test_new_code_format_distinct_and_well_signed():
    generated = [new_code(KEY) for _ in range(1000)]
    assert all(CODE_RE.match(c) for c in generated), generated[:5]
    assert len(set(generated)) == 1000
    assert all(is_well_signed(c, KEY) for c in generated)
    assert all(normalize(c) == c for c in generated)


def test_new_code_is_random_part_plus_mac(monkeypatch):
    drawn = iter("QRSTUVW")
    monkeypatch.setattr(codes.secrets, "choice", lambda seq: next(drawn))
    code = new_code(KEY)
    assert code == codes._sign(KEY, "QRSTUVW")
    assert _symbols(code)[:7] == "QRSTUVW"


def test_new_code_rejects_empty_key():
    with pytest.raises(ValueError):
        new_code(b"")


@pytest.mark.parametrize("code", FIXED_CODES)
def test_fixed_codes_are_well_signed(code):
    assert CODE_RE.match(code)
    assert is_well_signed(code, KEY)


@pytest.mark.parametrize("code", FIXED_CODES)
def test_every_single_character_change_fails(code):
    symbols = _symbols(code)
    for pos in range(12):
        for other in ALPHABET:
            if other == symbols[pos]:
                continue
            tampered = _fmt(symbols[:pos] + other + symbols[pos + 1 :])
            assert not is_well_signed(tampered, KEY), (code, pos, other)


@pytest.mark.parametrize("code", FIXED_CODES)
def test_adjacent_swaps_fail(code):
    symbols = _symbols(code)
    for pos in range(11):
        if symbols[pos] == symbols[pos + 1]:
            continue
        swapped = symbols[:pos] + symbols[pos + 1] + symbols[pos] + symbols[pos + 2 :]
        assert not is_well_signed(_fmt(swapped), KEY), (code, pos)


@pytest.mark.parametrize("code", FIXED_CODES)
def test_missing_or_extra_characters_fail(code):
    symbols = _symbols(code)
    assert not is_well_signed(code[:-1], KEY)  # truncated
    assert not is_well_signed(code[1:], KEY)
    for pos in range(12):  # any one character missing
        assert not is_well_signed(symbols[:pos] + symbols[pos + 1 :], KEY)
    assert not is_well_signed(code + "A", KEY)
    assert not is_well_signed("", KEY)


@pytest.mark.parametrize("code", FIXED_CODES)
def test_wrong_key_fails(code):
    assert not is_well_signed(code, OTHER_KEY)
    assert not is_well_signed(code, b"")


def test_well_signed_accepts_what_people_type():
    code = FIXED_CODES[0]
    assert is_well_signed(code.lower(), KEY)
    assert is_well_signed(code.replace("-", " ").lower(), KEY)
    assert is_well_signed(_symbols(code), KEY)


@pytest.mark.parametrize(
    "typed",
    [
        "abcd efgh jkmn",
        "ABCD EFGH JKMN",
        "abcdefghjkmn",
        "  abcd-efgh-jkmn ",
        "AB-CD-EF-GH-JK-MN",
        "abcd – efgh – jkmn",  # en dashes from a phone keyboard
        "ＡＢＣＤ－ＥＦＧＨ－ＪＫＭＮ",  # full-width
        "abcd\u00a0efgh\u00a0jkmn",
    ],
)
def test_normalize_accepts_typed_variants(typed):
    assert normalize(typed) == "ABCD-EFGH-JKMN"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "abcd efgh jkm",  # 11 symbols
        "abcd efgh jkmnp",  # 13 symbols
        "ABCD-EFGH-JKM0",  # 0 is not in the alphabet
        "ABCD-EFGH-JKMO",  # nor O
        "ABCD-EFGH-JKM1",
        "ABCD-EFGH-JKMI",
        "ABCD/EFGH/JKMN",
        "ABCD-EFGH-JKMĐ",
        "mã: ABCD-EFGH-JKMN",
    ],
)
def test_normalize_rejects(typed):
    assert normalize(typed) is None


def test_normalize_rejects_non_strings():
    assert normalize(None) is None  # type: ignore[arg-type]
    assert normalize(b"ABCDEFGHJKMN") is None  # type: ignore[arg-type]


# --------------------------------------------------------------------------- helpers


def test_vietnamese_date():
    assert vietnamese_date(datetime.date(2026, 11, 23)) == "Hải Phòng, ngày 23 tháng 11 năm 2026"
    # Leading zero for days < 10 and for January/February only.
    assert vietnamese_date(datetime.date(2026, 2, 5)) == "Hải Phòng, ngày 05 tháng 02 năm 2026"
    assert vietnamese_date(datetime.date(2026, 3, 10), place=None) == "ngày 10 tháng 3 năm 2026"


@pytest.mark.parametrize(
    "tdp, ward, expected",
    [
        ("Tổ dân phố số 5", "Hưng Đạo", "Tổ dân phố số 5, phường Hưng Đạo"),
        ("5", "Hưng Đạo", "Tổ dân phố 5, phường Hưng Đạo"),
        (None, "Hưng Đạo", "Phường Hưng Đạo"),
        ("Tổ dân phố số 5", None, "Tổ dân phố số 5"),
        ("Thôn Đông", "Xã An Lão", "Thôn Đông, xã An Lão"),
        (None, None, ""),
        ("  ", "", ""),
    ],
)
def test_location_line(tdp, ward, expected):
    assert location_line(tdp, ward) == expected


# --------------------------------------------------------------------------- rendering

SAMPLE_CODE = "ABCD-EFGH-JKMN"
SAMPLE = CertificateView(
    holder_name="Nguyễn Thị Hồng Nhung",
    ward="Hưng Đạo",
    tdp="Tổ dân phố số 5",
    title=OVERALL_TITLE,
    topics=[
        "VNeID",
        "Dịch vụ công trực tuyến",
        "Thanh toán không tiền mặt",
        "An toàn trên mạng",
    ],
    issued_on=datetime.date(2026, 11, 23),
    code=SAMPLE_CODE,
    verify_url=f"https://binhdanhocvuso.example.vn/verify/{SAMPLE_CODE}",
)


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


@pytest.fixture(scope="module")
def sample_pdf() -> bytes:
    return render_pdf(SAMPLE)


def test_pdf_text_is_extractable_with_diacritics(sample_pdf):
    assert sample_pdf.startswith(b"%PDF-")
    text = _pdf_text(sample_pdf)
    for expected in [
        "CHỨNG NHẬN",
        OVERALL_TITLE,
        "Trao cho",
        "Nguyễn Thị Hồng Nhung",
        "Tổ dân phố số 5, phường Hưng Đạo",
        "Hưng Đạo",
        "Dịch vụ công trực tuyến",
        "Thanh toán không tiền mặt",
        "Hải Phòng, ngày 23 tháng 11 năm 2026",
        SAMPLE_CODE,
        f"Kiểm tra tại: {SAMPLE.verify_url}",
    ]:
        assert expected in text, (expected, text)


def test_pdf_page_and_metadata(sample_pdf):
    reader = PdfReader(io.BytesIO(sample_pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)  # A4 landscape
    meta = reader.metadata
    assert meta is not None and meta.title is not None
    assert "Nguyễn Thị Hồng Nhung" in meta.title
    assert meta.author == SAMPLE.issuer
    resources = reader.pages[0]["/Resources"]
    assert isinstance(resources, DictionaryObject)
    fonts = resources["/Font"].get_object()
    assert isinstance(fonts, DictionaryObject)
    names = sorted(str(f.get_object()["/BaseFont"]) for f in fonts.values())
    assert names and all("DejaVu" in n for n in names), names  # embedded, no core fonts


def test_pdf_is_deterministic(sample_pdf):
    assert render_pdf(SAMPLE) == sample_pdf


def test_pdf_decomposed_input_is_rendered_precomposed():
    nfd = CertificateView(
        **{**SAMPLE.__dict__, "holder_name": unicodedata.normalize("NFD", SAMPLE.holder_name)}
    )
    assert "Nguyễn Thị Hồng Nhung" in _pdf_text(render_pdf(nfd))


def test_pdf_single_topic_and_missing_location():
    view = CertificateView(
        holder_name="Lê Văn Tám",
        ward=None,
        tdp=None,
        title=TOPIC_TITLE,
        topics=["An toàn trên mạng"],
        issued_on=datetime.date(2026, 2, 5),
        code="WMWM-MWMW-WMWM",
        verify_url="https://x.example/verify/WMWM-MWMW-WMWM",
    )
    text = _pdf_text(render_pdf(view))
    assert "Lê Văn Tám" in text
    assert "phường" not in text and "Tổ dân phố" not in text
    assert "ngày 05 tháng 02 năm 2026" in text
    assert "WMWM-MWMW-WMWM" in text


def test_pdf_characters_outside_the_subset_fall_back_to_full_fonts():
    view = CertificateView(**{**SAMPLE.__dict__, "holder_name": "Ηλίας Nguyễn"})
    assert "Ηλίας Nguyễn" in _pdf_text(render_pdf(view))


def test_png_opens_with_expected_size():
    data = render_png(SAMPLE)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) < 300_000
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "PNG"
        assert img.size == PNG_SIZE == (1200, 848)
        img.load()
        # Not blank: paper, ink and the black QR modules are all there.
        colors = img.convert("RGB").getcolors(maxcolors=256)
        assert colors is not None and len(colors) > 10
