"""Read-aloud: texts said the Vietnamese way, real OGG/Opus files from every provider, espeak-ng
when the ward's voice fails, files reused, and "🔊 Nghe" on the web, by typing and on Zalo."""

from __future__ import annotations

import io
import shutil
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import soundfile

from bot.app.runtime import Runtime
from bot.channels.render import join_turn
from bot.config import Settings
from bot.content.check import check
from bot.content.loader import CONTENT_DIR, Content
from bot.core.messages import Attachment, Option, Reply
from bot.db.models import User
from bot.voice.providers import Espeak, Http, Piper, SynthesisError
from bot.voice.service import Voice
from bot.voice.speech import read_number, speakable
from tests.channels.drivers import ZALO_USER, running_zalo
from tests.conftest import TEST_KEY, shipped_content
from tests.fakes import FakeZaloServer
from tests.fakes.tts import FakeTtsServer

STEP = ("Bước 1/3. Mở ứng dụng VNeID trên điện thoại. Nhập số định danh 12 số và mật khẩu. Hệ thống gửi mã OTP "
        "6 số qua tin nhắn. Nhập mã đó trong 5 phút. Không bao giờ đọc mã OTP cho ai, kể cả người xưng là công an.")


def decoded(data: bytes) -> soundfile._SoundFileInfo:
    """What a player sees in the file: OGG/Opus with sound in it."""
    assert data[:4] == b"OggS" and b"OpusHead" in data[:200], data[:60]
    info = soundfile.info(io.BytesIO(data))
    assert (info.format, info.subtype) == ("OGG", "OPUS")
    assert info.duration > 0.5
    return info


def words(content: Content) -> tuple[dict[str, str], str]:
    assert content.pronunciation is not None
    return dict(content.pronunciation.words), content.pronunciation.link


# ---- said the Vietnamese way -------------------------------------------------------------

@pytest.mark.parametrize(("number", "said"), [
    (5, "năm"), (15, "mười lăm"), (21, "hai mươi mốt"), (24, "hai mươi tư"), (105, "một trăm lẻ năm"),
    (2024, "hai nghìn không trăm hai mươi tư"), (50000, "năm mươi nghìn"), (1000000, "một triệu"),
    (1500000, "một triệu năm trăm nghìn"), (1000001, "một triệu không trăm lẻ một"),
])
def test_numbers_are_read_as_vietnamese_say_them(number: int, said: str) -> None:
    """espeak-ng itself says "một triệu không trăm không trăm" for 1000000: the words come from us."""
    assert read_number(number) == said


@pytest.mark.parametrize(("text", "said"), [
    ("Từ ngày 1/7/2024", "Từ ngày một tháng bảy năm hai nghìn không trăm hai mươi tư"),
    ("hạn 1/1/2026.", "hạn ngày một tháng một năm hai nghìn không trăm hai mươi sáu."),
    ("Bước 2/5", "Bước hai trên năm"),
    ("lúc 7:30 hoặc 15h", "lúc bảy giờ ba mươi hoặc mười lăm giờ"),
    ("phí 50.000đ", "phí năm mươi nghìn đồng"),
    ("số 0912345678", "số không chín một hai ba bốn năm sáu bảy tám"),
    ("Mở VNeID, nhập mã OTP, quét mã QR", "Mở vê en e ai đi, nhập mã ô tê pê, quét mã kiu a"),
    ("Gọi 156 cả khi 24/7", "Gọi một năm sáu cả khi cả ngày lẫn đêm"),
    ("Vào https://dichvucong.gov.vn/p/home", "Vào đường link ghi trong tin nhắn"),
    ("✓ Xong → 📖 Bài mới", "Xong Bài mới"),
    ("giảm 10%", "giảm mười phần trăm"),
])
def test_texts_are_said_the_vietnamese_way(text: str, said: str) -> None:
    assert speakable(text, *words(shipped_content())) == said


# ---- providers and files -----------------------------------------------------------------

class Counting:
    """A provider that counts its calls (to see a cached file is not made again)."""

    def __init__(self, inner: Espeak) -> None:
        self.inner, self.name, self.voice, self.calls = inner, inner.name, inner.voice, 0

    async def synthesize(self, text: str) -> bytes:
        self.calls += 1
        return await self.inner.synthesize(text)


async def test_espeak_step_is_opus_and_a_cached_one_comes_in_10_ms(tmp_path: Path) -> None:
    espeak = Counting(Espeak())
    voice = Voice(tmp_path, shipped_content().pronunciation, provider=espeak, fallback=espeak)
    assert len(STEP) <= 300
    path = await voice.speak(STEP)
    assert path is not None and path.parent == tmp_path and path.name.startswith("voice-") and path.suffix == ".ogg"
    info = decoded(path.read_bytes())
    assert 10 < info.duration < 60  # the whole step is read, at an unhurried pace
    best = min(_timed(voice.cached, STEP) for _ in range(5))
    assert best <= 0.010, f"cached read-aloud took {best * 1000:.1f} ms"
    assert await voice.speak(STEP) == path and espeak.calls == 1
    assert voice.cached("Một văn bản khác") is None


def _timed(function, *args) -> float:
    start = time.perf_counter()
    assert function(*args) is not None
    return time.perf_counter() - start


async def test_http_voice_reads_and_its_failures_fall_back_to_espeak(tmp_path: Path) -> None:
    espeak = Espeak()
    async with FakeTtsServer(key="secret-key") as service:
        http = Http(service.url, "secret-key", "vi-female", timeout=2)
        voice = Voice(tmp_path, shipped_content().pronunciation, provider=http, fallback=espeak)
        path = await voice.speak("Bạn mở ứng dụng VNeID.")
        assert path is not None and path == voice.path_for(http, voice.said("Bạn mở ứng dụng VNeID."))
        decoded(path.read_bytes())
        assert service.requests[-1] == {"json": {"text": "Bạn mở ứng dụng vê en e ai đi.", "voice": "vi-female",
                                                 "language": "vi"}, "authorization": "Bearer secret-key"}
        for mode in ("error", "not_audio", "slow"):
            service.mode = mode
            text = f"Bài {mode}: mở ứng dụng."
            path = await voice.speak(text)
            assert path == voice.path_for(espeak, voice.said(text)), mode  # espeak-ng read it instead
            decoded(path.read_bytes())
        service.mode = "ok"
        wrong_key = Voice(tmp_path, None, provider=Http(service.url, "wrong", timeout=2), fallback=espeak)
        assert await wrong_key.speak("Khóa sai vẫn nghe được.") is not None
    unreachable = Voice(tmp_path, None, provider=Http(service.url, timeout=2), fallback=espeak)  # server gone
    path = await unreachable.speak("Máy chủ tắt.")
    assert path is not None and path == unreachable.path_for(espeak, "Máy chủ tắt.")


def _fake_piper(folder: Path, *, fails: bool) -> Path:
    """A stand-in with piper's command line: --model M --output_file F, the text on stdin."""
    script = folder / ("piper-broken" if fails else "piper")
    script.write_text(f"""#!{sys.executable}
import sys, numpy, soundfile
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
text = sys.stdin.read()
if {fails!r} or not text.strip():
    sys.exit("model could not be loaded")
rate = 22050
samples = 0.2 * numpy.sin(numpy.arange(int(rate * len(text) / 15)) / 10.0)
soundfile.write(args["--output_file"], samples.astype("float32"), rate, format="WAV")
""")
    script.chmod(0o755)
    return script


async def test_piper_reads_with_the_wards_model_and_falls_back_when_it_fails(tmp_path: Path) -> None:
    model = tmp_path / "vi_VN-vais1000-medium.onnx"
    model.write_bytes(b"model")
    espeak = Espeak()
    good = Piper(str(_fake_piper(tmp_path, fails=False)), str(model))
    voice = Voice(tmp_path, None, provider=good, fallback=espeak)
    path = await voice.speak("Quét mã để trả tiền.")
    assert path == voice.path_for(good, "Quét mã để trả tiền.")
    assert abs(decoded(path.read_bytes()).duration - 22050 * 20 / 15 / 22050) < 0.1  # resampled, not stretched
    for broken in (Piper(str(_fake_piper(tmp_path, fails=True)), str(model)),
                   Piper(str(tmp_path / "no-such-piper"), str(model)),
                   Piper(str(_fake_piper(tmp_path, fails=False)), str(tmp_path / "missing.onnx"))):
        voice = Voice(tmp_path, None, provider=broken, fallback=espeak)
        path = await voice.speak("Nếu piper hỏng thì sao?")
        assert path == voice.path_for(espeak, "Nếu piper hỏng thì sao?")
        with pytest.raises(SynthesisError):
            await broken.synthesize("Nếu piper hỏng thì sao?")


async def test_no_espeak_at_all_is_a_kind_sentence_not_an_error(tmp_path: Path) -> None:
    missing = Espeak(command=str(tmp_path / "no-espeak"))
    assert await Voice(tmp_path, None, provider=missing, fallback=missing).speak("Xin chào") is None


def test_settings_choose_the_voice(tmp_path: Path) -> None:
    def voice(**values: object) -> Voice:
        return Voice.from_settings(Settings(cert_signing_key=TEST_KEY, _env_file=None, **values), tmp_path)  # type: ignore[arg-type]

    assert [p.name for p in voice().providers] == ["espeak"]
    assert [p.name for p in voice(voice_provider="piper", voice_piper_model="/srv/vi.onnx").providers] == ["piper", "espeak"]
    assert [p.name for p in voice(voice_provider="http", voice_http_url="http://127.0.0.1:9/tts").providers] == ["http", "espeak"]
    assert [p.name for p in voice(voice_provider="piper").providers] == ["espeak"]  # no model given: espeak-ng


# ---- in the conversation -----------------------------------------------------------------

async def resident(runtime: Runtime, channel: str = "web") -> str:
    """A resident who has agreed and is at the main menu."""
    external_id = uuid.uuid4().hex
    async with runtime.db.transaction() as session:
        session.add(User(channel=channel, external_id=external_id, locale="vi", state="menu", state_data={},
                         consent_at=datetime.now(UTC), display_name="Bà Lan"))
    return external_id


async def post(client, user: str, **body) -> list[dict]:
    response = await client.post("/api/messages", json={"user_id": user, **body})
    assert response.status == 200, await response.text()
    return (await response.json())["replies"]


def listen_id(reply: dict) -> str:
    ids = [o["id"] for o in reply["options"] if o["id"].startswith("listen:")]
    assert len(ids) == 1 and len(reply["options"]) <= 6, reply["options"]
    assert [o["label"] for o in reply["options"] if o["id"] == ids[0]] == ["🔊 Nghe"]
    return ids[0]


async def test_a_lesson_step_is_heard_on_the_web_by_button_and_by_typing(client, runtime: Runtime) -> None:
    user = await resident(runtime)
    replies = await post(client, user, text="học vneid")
    first = next(o["id"] for o in replies[-1]["options"] if o["id"].startswith("lesson:"))
    step = (await post(client, user, option=first))[-1]
    assert step["screen"] == "lesson.step" and step["audio_url"] is None
    heard = await post(client, user, option=listen_id(step))
    assert len(heard) == 1 and heard[0]["text"] == "Bấm ▶ để nghe."
    assert heard[0]["options"] == step["options"]  # the step's choices stay: "Tiếp" goes on
    audio = await client.get(heard[0]["audio_url"])
    assert audio.status == 200 and audio.content_type == "audio/ogg"
    decoded(await audio.read())
    for typed in ("đọc to", "nghe", "doc to"):
        again = await post(client, user, text=typed)
        assert again[-1]["audio_url"] == heard[0]["audio_url"], typed  # the same file, made once
    moved = await post(client, user, text="tiếp")
    assert "Bước 2/" in moved[-1]["text"]
    second = await post(client, user, option=listen_id(moved[-1]))
    assert second[-1]["audio_url"] not in (None, heard[0]["audio_url"])


class Recording(Voice):
    """The ward's voice, noting each text it was asked to read."""

    texts: list[str]

    async def speak(self, text: str) -> Path | None:
        self.texts.append(text)
        return await super().speak(text)


async def test_check_quiz_and_faq_answers_offer_listening(client, runtime: Runtime) -> None:
    voice = runtime.services.extras["voice"] = Recording.from_settings(runtime.settings, runtime.services.files_dir)
    voice.texts = []
    user = await resident(runtime)
    answer = (await post(client, user, text="quên mật khẩu VNeID thì làm sao"))[-1]
    assert answer["screen"] == "faq.answer"
    heard = (await post(client, user, option=listen_id(answer)))[-1]
    assert heard["audio_url"] and heard["options"] == answer["options"]
    await post(client, user, text="menu")
    intro = (await post(client, user, text="làm bài kiểm tra"))[-1]
    topic = next(o["id"] for o in intro["options"] if o["id"].startswith("topic:"))
    await post(client, user, option=topic)
    question = (await post(client, user, option="start"))[-1]
    assert question["screen"] == "quiz.question"
    heard = (await post(client, user, text="đọc to"))[-1]
    assert heard["audio_url"] and heard["screen"] == "read_aloud"
    answers = [o["label"] for o in question["options"] if o["id"][0] == "q"]
    said = voice.texts[-1].splitlines()
    assert said[0] in question["text"] and said[1:] == [  # the question, then its answers by the numbers shown
        f"Số {n}: {label.split('. ', 1)[-1]}." for n, label in enumerate(answers, 1)]
    answered = await post(client, user, text="1")  # the numbers still choose the answers shown
    assert answered[0]["screen"] == "quiz.feedback"


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZaloServer]:
    async with FakeZaloServer() as server:
        yield server
    assert server.rejected == [] and server.violations == []


async def test_zalo_gets_the_audio_as_a_link_it_can_open(tmp_path: Path, zalo: FakeZaloServer) -> None:
    async with running_zalo(tmp_path, zalo, webhook=True) as bot:
        path = await Voice.from_settings(bot.runtime.settings, bot.runtime.services.files_dir).speak("Bạn bấm Tiếp.")
        assert path is not None
        reply = Reply("Bấm ▶ để nghe.", [Option("next", "Tiếp")], audio=Attachment(path, "nghe.ogg", "audio/ogg"))
        await bot.channel.send(ZALO_USER, reply)
        base = bot.runtime.settings.public_base_url
    sent = zalo.sent_to(ZALO_USER)
    assert [c.method for c in sent] == ["sendMessage"]
    link = f"{base}/files/{path.name}"
    assert sent[0].text == f"🔊 Bấm vào đường link này để nghe: {link}\n\n1. Tiếp"
    decoded(path.read_bytes())


def test_a_reply_keeps_its_audio_when_stored_and_joined(tmp_path: Path) -> None:
    """A resend gets the audio again (`Reply.as_dict`), and a text before it is never merged into it."""
    audio = Attachment(tmp_path / "voice-1.ogg", "nghe.ogg", "audio/ogg")
    reply = Reply("Bấm ▶ để nghe.", [Option("next", "Tiếp")], "read_aloud", audio=audio)
    assert Reply.from_dict(reply.as_dict()) == reply
    joined = join_turn([Reply("Đúng rồi!"), reply], 4096)
    assert len(joined) == 1 and joined[0].audio == audio and joined[0].text == "Đúng rồi!\n\nBấm ▶ để nghe."
    assert len(join_turn([reply, Reply("Tiếp nhé")], 4096)) == 2


async def test_without_any_voice_the_resident_gets_a_kind_line_and_the_same_choices(client, runtime: Runtime,
                                                                                    tmp_path: Path) -> None:
    missing = Espeak(command=str(tmp_path / "no-espeak"))
    runtime.services.extras["voice"] = Voice(tmp_path, None, provider=missing, fallback=missing)
    user = await resident(runtime)
    answer = (await post(client, user, text="quên mật khẩu VNeID thì làm sao"))[-1]
    heard = (await post(client, user, text="nghe"))[-1]
    assert heard["text"].startswith("Xin lỗi, lúc này mình chưa đọc to được.")
    assert heard["audio_url"] is None and heard["options"] == answer["options"]


def test_content_check_refuses_a_pronunciation_that_is_spelled(tmp_path: Path) -> None:
    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root)
    spoken = root / "voice" / "pronunciation.yaml"
    spoken.write_text(spoken.read_text(encoding="utf-8").replace("OTP: ô tê pê", "OTP: OTP 1"), encoding="utf-8")
    _, problems = check(root)
    assert [p.message for p in problems] == ["OTP: 'OTP 1' must be lower-case syllables without digits, as it is said"]
    spoken.unlink()
    _, problems = check(root)
    assert any("pronunciation.yaml" in str(p.path) and "missing" in p.message for p in problems)
