"""Logs never carry ID numbers, phone numbers, one-time codes or the bot token."""

from __future__ import annotations

import io
import json
import logging

from bot.logs import JsonFormatter, MaskingFilter, mask


def test_mask_personal_numbers_and_tokens() -> None:
    text = ("cccd 001203004567, cmnd 123456789, sđt 0912 345 678 hoặc +84912345678, OTP 482913, "
            "url https://api.telegram.org/bot123456:AAE-xyz_9/sendMessage?token=abc")
    masked = mask(text)
    for secret in ("001203004567", "123456789", "0912 345 678", "+84912345678", "482913", "AAE-xyz_9", "abc"):
        assert secret not in masked, secret
    assert masked.count("<id-number>") == 2 and masked.count("<phone>") == 2 and "<code>" in masked
    assert "bot***" in masked
    assert mask("Tổ 5, năm 2026, bài 12") == "Tổ 5, năm 2026, bài 12"  # ordinary numbers stay


def test_every_record_is_masked_before_it_is_written() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskingFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("test.masking")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("question from %s: số tôi %s", "user#7", "0987654321")
        try:
            raise ValueError("cccd 079123456789")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["msg"] == "question from user#7: số tôi <phone>"
    assert "079123456789" not in lines[1]["exc"] and "<id-number>" in lines[1]["exc"]
