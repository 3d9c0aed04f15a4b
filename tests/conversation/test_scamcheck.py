"""Scam check (bot/scams, issue 23): the labelled set's targets, link analysis, rendering,
content validation, and messages written apart from the set to guard against overfitting."""

from __future__ import annotations

import re
import shutil
import socket
from pathlib import Path

import pytest
import yaml
from rapidfuzz import fuzz

from bench import scamcheck
from bot.scams import (
    CONTENT_DIR,
    WORDS,
    ScamContentError,
    check,
    default_rules,
    find_links,
    load_practice,
    load_scam_rules,
    render,
    validate,
)
from bot.scams.practice import blind_pass_rates
from bot.scams.text import fold

ROOT = Path(__file__).resolve().parents[2]

SET = yaml.safe_load((ROOT / "tests" / "data" / "scam_messages.yaml").read_text(encoding="utf-8"))["messages"]
VERDICT_WORDS = ("Nguy hiểm", "Đáng ngờ", "Chưa thấy dấu hiệu lừa")


# ── The labelled set ─────────────────────────────────────────────────────────────────────
# Issue 23's targets, and a ratchet just below what the checker reaches today, so that a rule
# edit that loses ground fails here (figures: bench/scamcheck.py).
RATCHET = {"recall": 0.98, "false_nguy_hiem": 0.015, "false_dang_ngo": 0.03, "exact": 0.92}


@pytest.fixture(scope="module")
def figures() -> scamcheck.Figures:
    return scamcheck.evaluate(SET, rounds=3)


def test_set_is_the_one_the_issue_asks_for() -> None:
    assert len(SET) >= 150
    assert {m["label"] for m in SET} == {"scam", "legit"}


def test_targets_on_the_labelled_set(figures: scamcheck.Figures) -> None:
    assert figures.recall >= 0.95
    assert figures.false_nguy_hiem <= 0.05
    assert figures.false_dang_ngo <= 0.15


def test_latency_per_message() -> None:
    """p99 ≤ 10 ms per message; each message timed at its best of five runs, so that a busy test
    machine (the suite runs on every core) measures the checker and not the scheduler."""
    import time
    rules = default_rules()
    timings = []
    for message in SET:
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            check(message["text"], rules)
            best = min(best, time.perf_counter() - start)
        timings.append(best * 1000)
    timings.sort()
    assert timings[int(len(timings) * 0.99)] <= 10.0


def test_ratchet_on_the_labelled_set(figures: scamcheck.Figures) -> None:
    assert figures.recall >= RATCHET["recall"], [m["text"] for m in figures.misses]
    assert figures.false_nguy_hiem <= RATCHET["false_nguy_hiem"], figures.false_alarms
    assert figures.false_dang_ngo <= RATCHET["false_dang_ngo"], figures.false_alarms
    assert figures.exact >= RATCHET["exact"]


def test_bench_report_prints_every_figure(figures: scamcheck.Figures) -> None:
    text = scamcheck.report(figures, show_misses=True)
    for part in ("recall on scams", "false “Nguy hiểm”", "false “Đáng ngờ”", "p50", "p99", "Per sign",
                 "Confusions", "lookalike_domain"):
        assert part in text


# ── Messages written apart from the set ──────────────────────────────────────────────────
# Written for these tests in other words and situations than the labelled set (other banks,
# other offices, other stories). Rules were adjusted after a first run on the first two groups
# below; the third was checked once as written (14 of 15 scams caught, no false alarm) before the
# one miss led to a general rule change. They guard against rules that only fit the set.
OWN_SCAMS = [
    "SHB: The cua quy khach da bi tam ngung do phat hien giao dich bat thuong. Mo lai tai shb-hotro.top trong 12h",
    "Quý khách có một khoản tiền 3.200.000đ từ NAPAS chưa nhận. Vào napas247-vn.com để nhận ngay.",
    "HDBank thông báo: điểm thưởng của Quý khách sắp hết hạn, đổi quà tại hdbankk.com",
    "Ong oi, chau la Linh con co Hoa day. Chau dang o vien, dt het tien, ong nap giup chau the 500k roi doc so seri cho chau nhe",
    "Bác ơi em bên điện lực, tháng này nhà bác dùng vượt định mức, bác chuyển 850 nghìn qua số 0987123456 để không bị ngắt điện tối nay nhé",
    "Cục thuế: Quý ông/bà có hồ sơ quyết toán thuế chưa hoàn thành. Tải ứng dụng tại thuedientu-gdt.net/app.apk",
    "Cán bộ phường đây, bà cho cháu số căn cước và ảnh chụp 2 mặt để cháu làm hồ sơ trợ cấp người cao tuổi.",
    "VNeID chính thức ra mắt tính năng nhận tiền trợ cấp. Đăng ký tại vneid-trocap.online",
    "Tài khoản Zalo của bạn sẽ bị xóa sau 24h do vi phạm. Xác minh tại zalo-xacminh.com",
    "Cong an xa thong bao: so dien thoai cua ong lien quan den vu lua dao, ong ket ban zalo 0977 111 222 de lam viec ngay",
    "Chúc mừng số điện thoại của bạn trúng thưởng 50 triệu từ Viettel. Liên hệ 0866 000 111 để làm thủ tục nhận giải",
    "https://tinyurl.com/vcb-xacminh",
    "http://bidv.com.vn.secure-login.cc",
    "Ngân hàng Nhà nước thông báo hỗ trợ vay 0% cho hộ kinh doanh, đăng ký qua link sbv-hotro.net",
    "Em la nhan vien VPBank, the tin dung cua chi dang bi tru phi thuong nien 1.990.000d, de huy chi doc giup em ma OTP",
    "Con chào mẹ, con mượn điện thoại bạn nhắn. Con cần 5 triệu đóng học gấp, mẹ gửi qua tài khoản của thầy chủ nhiệm giúp con: 0451 0000 2222 Vietcombank",
    "Giao hang tiet kiem: Kien hang cua ban da den kho, vui long thanh toan phi luu kho 25.000d tai ghtk-vn.info",
    "Tham gia nhóm đầu tư vàng cùng chuyên gia, lợi nhuận 5% mỗi ngày, cam kết hoàn vốn. Nhắn tin để được vào nhóm",
    "Tuyển người làm nhiệm vụ chấm điểm khách sạn, mỗi nhiệm vụ 80k, nạp 200k nhận về 260k",
    "Bà ơi bà bật giúp con quyền trợ năng cho ứng dụng ngân hàng mới để con chỉnh cho bà nhé",
    "MoMo: Tài khoản ví của bạn bị khóa tạm thời. Mở khóa tại xn--mmo-0na.vn",
    "EVNSPC thong bao: Quy khach duoc giam 30% tien dien thang nay, dang ky tai evn-giamgia.com",
    "Ban nhan duoc 1 buu pham tu nuoc ngoai, phai dong thue hai quan 1.200.000d truoc khi nhan",
    "Toà án quận thông báo: bà có giấy triệu tập, xem chi tiết và nộp án phí tại toaan-quan1.com",
    "BHXH: So BHXH cua ban co khoan tien 2.800.000d chua nhan. Dien so the ngan hang de nhan.",
    # second group
    "Thông báo từ Vietinbank: Hệ thống ghi nhận Quý khách chưa cập nhật CCCD gắn chip, dịch vụ sẽ tạm dừng từ ngày mai. Cập nhật: vietinbank-ekyc.com",
    "chị ơi em bên GHN, hàng của chị bị hoàn do chưa thanh toán phí giao, chị quét mã QR này thanh toán 18k giúp em nhé",
    "Bac Tam oi, con la ban cua thang Hung, Hung dang bi giu o don cong an vi va cham giao thong, can 12 trieu lo cho xong, bac chuyen qua so nay: 1903 4455 6677 Techcombank",
    "[TB] Thue bao cua ban duoc chon nhan uu dai nap the x5 gia tri. Truy cap vtt-uudai.site de nhan",
    "Xin chào, tôi là luật sư của Công ty Tài chính, khoản nợ của ông đã quá hạn, nếu không thanh toán ngay hôm nay chúng tôi sẽ khởi kiện.",
    "Ông bà có con cháu đi du học Nhật? Đại sứ quán hỗ trợ 20 triệu, đăng ký qua zalo 0398 765 432.",
    "Cảnh báo: iCloud của bạn đã đầy, ảnh sẽ bị xóa. Nâng cấp miễn phí tại icloud-vn.help",
    "Bạn có 1 đơn hàng hoàn tiền 450.000đ từ Lazada do giao trễ. Nhập số tài khoản ngân hàng tại lazada-hoantien.com",
    "Co oi chau day, chau dang can tien dong hoc phi gap qua, co chuyen giup chau 3 trieu, toi chau tra, dung noi voi bo me chau nhe",
    "Tập đoàn Điện lực triển khai ứng dụng thanh toán mới, quý khách tải EVNPay tại evnpay.apk.download",
    "Chuong trinh tang 500k cho nguoi tren 60 tuoi cua Bo Lao dong. Dang ky: bit.ly/ho-tro-60",
    "Cong an tinh thong bao: ong ba co van ban can ky. Vao https://congan-tinh.org de xem va ky xac nhan",
    "Em chào chị, em bên phòng chăm sóc khách hàng Sacombank, thẻ chị sắp hết hạn, chị đọc em số thẻ và ngày hết hạn để em gia hạn giúp chị",
    "Đầu tư chỉ 1 triệu, mỗi ngày nhận 100 nghìn lợi nhuận, rút bất cứ lúc nào. Vào nhóm Telegram t.me/laixuatcao",
    "tpbank.vn-xacthuc.com",
    "Anh oi em nhan don dat 50 suat com, anh chuyen coc 2 trieu truoc giup em vao stk 0987 654 321 MB nhe",
    "UBND xã thông báo chi trả trợ cấp bão lũ, người dân cung cấp số tài khoản và mã OTP để nhận tiền.",
    "Cuc CSGT: Ban co bien ban vi pham chua nop phat, tra cuu tai dichvucong-csgt.com.vn truoc 24h",
    "Ngân hàng Agribank tuyển cộng tác viên tại nhà, lương 15 triệu, không cần kinh nghiệm, nộp phí hồ sơ 300k",
    "Mẹ ơi điện thoại con rơi vỡ, con dùng máy bạn, mẹ chuyển cho con 2 triệu vào số tài khoản bạn con 102876543210 nhé",
    # third group
    "OCB: Quy khach co 01 giao dich the dang cho xac nhan 7.900.000d. Tu choi giao dich tai ocb-tuchoi.com neu khong phai quy khach",
    "Bác ơi cháu là nhân viên VNPT, đường truyền internet nhà bác sắp bị cắt, bác đọc giúp cháu mã vừa gửi về máy để cháu gia hạn",
    "Thong bao tu Bo Y te: ho tro 3 trieu cho nguoi tren 70 tuoi, nhan tai link: bit.ly/boyte-hotro70",
    "Em gái ơi chị bị kẹt ở sân bay, ví mất hết, em chuyển chị 4 triệu vào số tài khoản 0341 2200 5678 của anh bạn chị nhé, về chị trả",
    "Cục Quản lý thị trường: cửa hàng của bà bị phạt 8 triệu do bán hàng không hóa đơn, liên hệ 0923 456 789 để nộp phạt trước 17h",
    "Shopee: Ban duoc hoan 1.200.000d do don hang bi huy. Lien ket tai khoan ngan hang tai shopee-hoantien.net de nhan",
    "Anh ơi, hệ thống chứng khoán VIP, em cam kết lợi nhuận 15% mỗi tháng, anh chỉ cần nạp 10 triệu vào tài khoản em gửi",
    "http://xn--vpbnk-0qa.com/dang-nhap",
    "Ban da duoc chon lam khach hang than thiet, nhan phan qua 2 trieu. Nhap so dien thoai va ma xac nhan tai qua-tang247.com",
    "Chau chao ba, chau la can bo dia chinh, ba can nop 1,5 trieu le phi cap so do qua tai khoan ca nhan chau de lam nhanh",
    "Thẻ tín dụng của bạn được nâng hạn mức lên 100 triệu, gọi ngay 0587 112 233 để kích hoạt trong hôm nay",
    "Zalo: Tai khoan cua ban dang bi dang nhap tren thiet bi la. Bam vao day de bao ve: zalo.security-check.top",
    "Em là giáo viên của cháu Nam, cháu bị sốt cao đang ở phòng y tế, bố mẹ chuyển ngay 3 triệu để đưa cháu đi viện",
    "Nhan vien Dien may Xanh: ban trung 1 tu lanh, chi can thanh toan 500k phi van chuyen qua so 0933 222 111",
    "Chuc mung! Tai khoan MoMo cua ban duoc cong 300.000d. Mo ung dung MoMoVip tai momovip.app de nhan",
]
OWN_LEGIT = [
    "BIDV: 05/04/2025 07:45 TK 2151xxxx456 +1,000,000VND. ND: Chuyen tien an trua. SD: 3,210,000VND",
    "Vietcombank: Quy khach vua thanh toan 245,000VND tai SIEU THI WINMART luc 18:22 ngay 10/04. SD 5,432,000VND",
    "Mã xác thực giao dịch của bạn là 661204. Tuyệt đối không chia sẻ mã này với bất kỳ ai.",
    "VNeID: Yêu cầu cấp tài khoản định danh điện tử mức 2 của công dân đã được tiếp nhận. Kết quả sẽ thông báo qua SMS.",
    "Cổng DVCQG: Hồ sơ đăng ký khai sinh của ông/bà đã có kết quả. Xem trên ứng dụng VNeID hoặc dichvucong.gov.vn.",
    "Con ơi chiều nay mẹ đi chợ, con có cần mua gì không?",
    "Bà ơi cuối tuần cả nhà về ăn cơm với bà nhé, con mua cá rồi.",
    "Tổ dân phố số 3 thông báo: sáng chủ nhật tổng vệ sinh ngõ xóm lúc 7 giờ, mong bà con tham gia.",
    "Điện lực Hoàn Kiếm thông báo: ngày 5/5 tạm ngừng cấp điện từ 8h đến 11h để sửa chữa lưới điện. Xin lỗi quý khách.",
    "EVNHANOI: Tien dien thang 04/2025 cua KH PD0100123456 la 412.000d. Han thanh toan 25/05/2025. Tong dai 19001288.",
    "Viettel Post: Bưu gửi 1234567890 đã giao thành công. Cảm ơn quý khách.",
    "Shopee: Đơn hàng của bạn đang được giao. Shipper sẽ liên hệ trong hôm nay.",
    "Anh ơi em giao hàng Lazada, anh có nhà không em qua ạ, hàng đã thanh toán.",
    "MB: TK 0123456789 -120,000VND 09:15 02/05/25. SD 2,004,000VND. ND: THANH TOAN HOA DON NUOC",
    "Cháu đã nộp hồ sơ cho bác ở bộ phận một cửa phường rồi, hẹn thứ 5 bác ra lấy kết quả nhé.",
    "Hội người cao tuổi phường mời các cụ dự buổi hướng dẫn dùng VNeID lúc 14h thứ 4 tại nhà văn hóa.",
    "Mẹ ơi con gửi mẹ 500 nghìn rồi đấy, mẹ xem app ngân hàng nhé.",
    "https://vneid.gov.vn",
    "https://www.bidv.com.vn",
    "Tra cứu phạt nguội tại trang của Cục CSGT csgt.vn hoặc ứng dụng VNeTraffic trên CH Play.",
    "Ngân hàng Agribank khuyến cáo: không cung cấp mã OTP, mật khẩu cho bất kỳ ai, không bấm vào đường link lạ.",
    "Ông ơi chiều nay cháu đón ông đi khám ở bệnh viện nhé, ông nhớ mang thẻ bảo hiểm.",
    "Cô giáo chủ nhiệm thông báo: thứ 7 họp phụ huynh lúc 8h tại lớp 5A.",
    "ZaloPay: Bạn đã nhận 150.000đ từ TRAN VAN BINH. Lời nhắn: tiền rau",
    "Chị ơi em chuyển khoản tiền hàng cho chị rồi nhé, 320k, chị kiểm tra giúp em.",
    # second group
    "Agribank: 12/05/2025 10:01 TK 3500205xxxxxx: +300,000VND (Nguoi gui: LE VAN HAI). SD: 4,210,000VND",
    "Vietcombank: Ma OTP xac nhan giao dich chuyen tien la 558811, co hieu luc 90 giay. Khong chia se ma cho bat ky ai.",
    "Bố ơi mai con bay chuyến 8h, tối con gọi bố nhé.",
    "Cô Lan ơi cháu là Minh hàng xóm, mai cháu mang cho cô ít rau nhà trồng nhé.",
    "Phường thông báo: từ 1/7 bà con làm thủ tục hành chính tại Trung tâm Phục vụ hành chính công phường, giờ làm việc 7h30-17h.",
    "BHXH Việt Nam: Thẻ BHYT của ông/bà đã được cấp mới. Xem thẻ trên ứng dụng VssID hoặc VNeID.",
    "Giao Hàng Nhanh: Đơn GHN8XYZ đã giao thành công lúc 14:20. Cảm ơn quý khách.",
    "Tổ trưởng tổ 6: Tối nay 19h30 họp tổ dân phố bàn việc sửa đường, mời đại diện mỗi hộ đến dự.",
    "Thông báo lịch tiêm chủng: trạm y tế phường tiêm vắc xin cho trẻ sáng thứ 3, mang theo sổ tiêm.",
    "MoMo: Bạn đã nạp 200.000đ vào ví từ tài khoản Vietcombank. Số dư ví: 350.000đ.",
    "Viettel: Tai khoan chinh cua quy khach con 5.000d, vui long nap them de tiep tuc su dung dich vu.",
    "Ông ơi con đặt lịch khám cho ông thứ 6 lúc 9h ở bệnh viện tỉnh rồi nhé, con đưa ông đi.",
    "https://dichvucong.gov.vn/p/home/dvc-trang-chu.html",
    "https://www.agribank.com.vn/vn/ve-agribank",
    "Cảm ơn chị đã mua hàng, đơn của chị em gửi qua Viettel Post, mã vận đơn 123456789, chị tra cứu trên viettelpost.com.vn nhé.",
    "Chúc mừng sinh nhật bà, chúc bà luôn mạnh khỏe, con cháu về thăm bà cuối tuần.",
    "Anh ơi mai 7h em qua sửa điện cho nhà anh như đã hẹn nhé, tiền công em lấy khi làm xong.",
    "EVNCPC: Lịch ngừng cấp điện ngày 20/5 khu vực phường An Hải từ 6h00 đến 12h00. Tra cứu tại cskh.cpc.vn",
    "Câu lạc bộ dưỡng sinh tập lúc 5h30 sáng mai ở công viên, các bác nhớ mang nước.",
    "Ngân hàng thông báo: từ 1/1/2025 ngân hàng không gửi tin nhắn có đường link. Quý khách cảnh giác với tin nhắn lạ.",
    # third group
    "OCB: 15/05/2025 09:30 TK xxx1234 +2,000,000VND. ND: Tra tien thue nha thang 5. SD 12,500,000VND",
    "VNPT: Hoa don dich vu Internet thang 04/2025 cua Quy khach la 165.000d. Thanh toan qua ung dung ngan hang hoac tai diem giao dich.",
    "Con ơi trưa nay bố ăn cơm với bác Tư nhé, tối bố về.",
    "Bà ơi thứ 7 lớp cháu biểu diễn văn nghệ lúc 3h chiều, bà đến xem nhé.",
    "UBND phường thông báo: từ 15/5 đến 30/5 tiếp nhận hồ sơ hỗ trợ hộ nghèo tại Bộ phận Một cửa, mang theo căn cước và sổ hộ nghèo.",
    "Shopee: Đơn hàng 250516XYZ đã được hủy theo yêu cầu của bạn. Tiền sẽ hoàn về phương thức thanh toán ban đầu trong 3-5 ngày.",
    "Lịch sinh hoạt chi hội cựu chiến binh: 8h sáng chủ nhật tại nhà văn hóa tổ 9.",
    "https://www.vpbank.com.vn",
    "Trạm y tế phường: từ ngày 20/5 khám sức khỏe miễn phí cho người trên 60 tuổi, mang theo thẻ BHYT.",
    "Chị ơi em gửi chị tiền ăn tháng này 3 triệu qua tài khoản rồi nhé.",
    "MB: Quy khach vua dang ky dich vu SMS Banking thanh cong. Phi dich vu 11.000d/thang.",
    "Facebook: 48213 là mã đăng nhập của bạn. Đừng đưa mã này cho người khác, kể cả người xưng là nhân viên Facebook.",
    "Cô ơi mai em nghỉ dạy một buổi, em dạy bù cho các cháu vào thứ 6 nhé.",
    "GHTK: Đơn hàng S1234567 sẽ được giao trong hôm nay, nhân viên giao hàng sẽ gọi trước.",
    "Anh Hùng ơi, em gửi anh 500 nghìn tiền góp quỹ tổ rồi nhé, anh kiểm tra giúp em.",
]


def test_own_messages_are_not_from_the_set() -> None:
    for text in OWN_SCAMS + OWN_LEGIT:
        if " " not in text:
            continue  # a bare link: the set has bare official addresses too
        assert max(fuzz.ratio(fold(text), fold(m["text"])) for m in SET) < 80, text


def test_own_scams_are_caught() -> None:
    missed = [t for t in OWN_SCAMS if check(t).verdict == "an-toan"]
    assert len(missed) / len(OWN_SCAMS) <= 0.05, missed


def test_own_legitimate_messages_are_not_flagged() -> None:
    flagged = [(t, check(t).rule_ids) for t in OWN_LEGIT if check(t).verdict != "an-toan"]
    assert len(flagged) / len(OWN_LEGIT) <= 0.05, flagged
    assert not [t for t in OWN_LEGIT if check(t).verdict == "nguy-hiem"]


def test_rules_are_general_patterns_not_copies_of_the_set() -> None:
    """No pattern spells out a sentence of the set, no example is a set message in disguise."""
    rules = default_rules()
    folded_set = [fold(m["text"]) for m in SET]
    for rule in rules.rules:
        for pattern in (*rule.patterns, *rule.context, *rule.unless):
            literals = re.split(r"\\[a-zA-Z]|[()\[\]{}?*+|^$.\\]", pattern.pattern)
            longest = max(literals, key=len)
            assert len(longest) < 28, (rule.id, longest)
        for example in rule.examples:
            assert max(fuzz.ratio(fold(example), text) for text in folded_set) < 75, (rule.id, example)


def test_rules_fire_on_more_than_the_set() -> None:
    """Every text rule catches its own examples (written for rules.yaml), which are not set messages."""
    rules = default_rules()
    for rule in rules.rules:
        for example in rule.examples:
            assert rule.id in check(example).rule_ids, (rule.id, example)


# ── Checker behaviour ────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("text", [
    "Không cung cấp mã OTP cho bất kỳ ai, kể cả nhân viên ngân hàng.",
    "Ngân hàng KHÔNG BAO GIỜ yêu cầu Quý khách đọc mã OTP qua điện thoại.",
    "Tuyệt đối không chuyển tiền vào tài khoản cá nhân của người lạ.",
    "Đừng gửi ảnh căn cước 2 mặt cho ai qua Zalo.",
])
def test_warnings_are_not_requests(text: str) -> None:
    assert check(text).verdict == "an-toan", check(text).rule_ids


def test_otherwise_is_not_a_negation() -> None:
    verdict = check("Quy khach cap nhat thong tin, neu khong tai khoan se bi khoa trong 24h.")
    assert "threat" in verdict.rule_ids


def test_diacritics_or_not_the_same_verdict() -> None:
    with_marks = check("Bà ơi cháu gửi nhầm mã về máy bà, bà đọc lại 6 số giúp cháu")
    without = check("Ba oi chau gui nham ma ve may ba, ba doc lai 6 so giup chau")
    assert with_marks.verdict == without.verdict == "nguy-hiem"
    assert with_marks.rule_ids == without.rule_ids


@pytest.mark.parametrize("text", ["", "   ", "\n", "ok", "👍"])
def test_empty_or_trivial_text(text: str) -> None:
    verdict = check(text)
    assert verdict.verdict == "an-toan" and verdict.score == 0 and not verdict.links


def test_a_very_long_message_is_still_fast() -> None:
    import time
    text = "Vietcombank thong bao tai khoan se bi khoa, truy cap vietcombank-vn.top ngay. " * 400
    start = time.perf_counter()
    verdict = check(text)
    assert time.perf_counter() - start < 0.5
    assert verdict.verdict == "nguy-hiem"


def test_verdict_fields_for_reports() -> None:
    verdict = check("Cuc Thue: tai ung dung hoan thue tai http://thue-hoantien.net/etax.apk trong hom nay")
    assert verdict.verdict == "nguy-hiem"
    assert {"apk", "authority_money"} <= verdict.signs
    assert verdict.rule_ids[0] in {r.id for r in default_rules().rules}
    assert verdict.reasons[0].weight == max(r.weight for r in verdict.reasons)
    assert all(r.sources for r in verdict.reasons)
    assert "thue" in verdict.organisations
    assert verdict.word == "Nguy hiểm"


def test_check_never_uses_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the scam check tried to open a connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    rules = load_scam_rules(CONTENT_DIR)  # loading too: the suffix list is the bundled snapshot
    verdict = check("https://vietcombank-vn.top/login http://bit.ly/abc dichvucong.gov.vn", rules)
    assert verdict.verdict == "nguy-hiem"


# ── Link analysis ────────────────────────────────────────────────────────────────────────
def links(text: str) -> list:
    return find_links(text, default_rules())


def one(text: str):
    found = links(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("text, owner", [
    ("https://dichvucong.gov.vn", "dichvucong"),
    ("vneid.gov.vn", "vneid"),
    ("https://www.vietcombank.com.vn/vi/ca-nhan", "vietcombank"),
    ("thuedientu.gdt.gov.vn", "thue"),
    ("https://evn.com.vn", "evn"),
    ("https://cskh.cpc.vn/tra-cuu", "evn"),
    ("momo.vn", "momo"),
    ("tinnhiemmang.vn/website-lua-dao", "tinnhiemmang"),
])
def test_official_domains_and_subdomains_are_trusted(text: str, owner: str) -> None:
    link = one(text)
    assert link.official and link.owner == owner and not link.flags
    assert check(text).verdict == "an-toan"


def test_any_gov_vn_address_is_the_state() -> None:
    link = one("https://congan.hanoi.gov.vn/tin-tuc")
    assert link.official and link.owner is None
    assert check("https://congan.hanoi.gov.vn/tin-tuc").verdict == "an-toan"


@pytest.mark.parametrize("text, imitated", [
    ("vietcombank-vn.top", "vietcombank"),
    ("https://vietcombank-vn.top/xacthuc", "vietcombank"),
    ("dichvucong-gov.com", "dichvucong"),
    ("dichvucong.gov.vn.xacminh-hoso.top", "dichvucong"),
    ("bidv.vn-baomat.cc", "bidv"),
    ("vietcornbank.com.vn-huy.info", "vietcombank"),
    ("http://v1etcombank.com/login", "vietcombank"),
    ("agrib4nk.com", "agribank"),
    ("techcombankk.net", "techcombank"),
    ("https://vietcombank.com", "vietcombank"),  # the real one is vietcombank.com.vn
])
def test_lookalikes_borrow_an_official_name(text: str, imitated: str) -> None:
    link = one(text)
    assert not link.official and "lookalike" in link.flags and link.imitates == imitated
    assert check(text).verdict == "nguy-hiem"


def test_government_imitation() -> None:
    link = one("https://thutuc-gov.net/nop")
    assert "gov-imitation" in link.flags and not link.official


@pytest.mark.parametrize("text", ["http://xn--vietcmbank-ivi.com", "https://xn--dchvcng-x0a0689dsha.vn/dang-nhap",
                                  "vіetcombank.com.vn", "https://dіchvucong.gov.vn"])
def test_punycode_and_foreign_letters(text: str) -> None:
    link = one(text)
    assert "punycode" in link.flags and not link.official
    assert check(text).verdict == "nguy-hiem"


def test_foreign_letters_are_decoded_for_the_reader() -> None:
    link = one("http://xn--vietcmbank-ivi.com")
    assert link.imitates == "vietcombank" and link.display != link.host


@pytest.mark.parametrize("text", ["bit.ly/xyz", "https://tinyurl.com/abc-def", "is.gd/Ab12", "https://cutt.ly/x"])
def test_shortened_links(text: str) -> None:
    link = one(text)
    assert "shortener" in link.flags and not link.official
    assert check(text).verdict == "dang-ngo"


def test_apk_files_and_ip_addresses() -> None:
    assert "apk" in one("http://tai-ve.net/VNeID.apk").flags
    assert "apk" in one("https://evnhanoi.vn.app-moi.com/EVN.APK?v=2").flags
    assert not one("https://evn.com.vn/app.apk").official  # an .apk is never trusted, wherever it sits
    ip = one("http://103.45.211.9/vietcombank/login")
    assert "ip" in ip.flags and not ip.official
    assert check("http://103.45.211.9/vietcombank/login").verdict == "nguy-hiem"


def test_brand_in_the_path_of_an_unknown_site() -> None:
    link = one("https://xac-minh.net/agribank/dangnhap")
    assert "brand-in-path" in link.flags and link.imitates == "agribank"


def test_platform_links_do_not_prove_an_organisation() -> None:
    link = one("t.me/vneid_hotro_bot")
    assert "platform" in link.flags and not link.official
    assert check("t.me/ban_hang_cua_toi").verdict == "an-toan"
    verdict = check("Bo Cong an: xac thuc tai khoan dinh danh tai t.me/xacthuc_bot")
    assert "claimed-org-link" in verdict.rule_ids and verdict.verdict != "an-toan"


@pytest.mark.parametrize("text", [
    "SD 15,250,000VND luc 09:15:22. Ref MBVCB.9876543210.NGUYEN THI LAN",
    "Giá 2.500.000đ, giao tại TP.HCM",
    "Gửi mail cho em ở lan.nguyen@gmail.com nhé",
    "Con về rồi.Mẹ ơi mở cửa",
    "Chào chị.Me oi chieu nay con ve",
    "v.v. và các loại giấy tờ khác",
])
def test_things_that_are_not_links(text: str) -> None:
    assert links(text) == []


def test_several_links_in_order_each_once() -> None:
    found = links("Vao dichvucong.gov.vn hoac bit.ly/abc, roi lai bit.ly/abc va https://vneid.gov.vn.")
    assert [link.host for link in found] == ["dichvucong.gov.vn", "bit.ly", "vneid.gov.vn"]
    assert found[2].text == "https://vneid.gov.vn"


def test_unofficial_links_are_written_so_that_they_cannot_be_tapped() -> None:
    assert one("vietcombank-vn.top/login").safe_text == "vietcombank-vn[.]top/login"
    assert one("https://dichvucong.gov.vn").safe_text == "dichvucong.gov.vn"


# ── Rendering ────────────────────────────────────────────────────────────────────────────
SAMPLES = {
    "nguy-hiem": "Vietcombank: TK bi khoa. Doc ma OTP cho nhan vien va dang nhap vietcombank-vn.top trong 2h, giu bi mat",
    "dang-ngo": "bit.ly/3Kq9xZt",
    "an-toan": "Bố ơi chủ nhật con về ăn cơm nhé.",
}


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("expected", ["nguy-hiem", "dang-ngo", "an-toan"])
def test_render_says_exactly_one_verdict_word(expected: str, lang: str) -> None:
    verdict = check(SAMPLES[expected])
    assert verdict.verdict == expected
    text = render(verdict, lang)
    assert [word for word in VERDICT_WORDS if word in text] == [WORDS[expected]]
    assert text.count(WORDS[expected]) == 1
    assert len(text) <= 700


def test_render_safe_always_says_it_cannot_prove_safety() -> None:
    assert "không thể chứng minh" in render(check(SAMPLES["an-toan"]), "vi")
    assert "cannot prove" in render(check(SAMPLES["an-toan"]), "en")
    assert "không thể chứng minh" in render(check("https://dichvucong.gov.vn"), "vi")


def test_render_danger_says_what_to_do() -> None:
    text = render(check(SAMPLES["nguy-hiem"]), "vi")
    for part in ("Không bấm link", "không trả lời", "số tổng đài bạn đã biết", "Chặn", "156", "LD"):
        assert part in text, part
    assert "Xin mã OTP" in text  # the reasons in plain words
    assert "vietcombank-vn[.]top" in text and "vietcombank-vn.top" not in text


def test_render_doubt_says_what_to_do() -> None:
    text = render(check(SAMPLES["dang-ngo"]), "vi")
    assert "Đáng ngờ" in text and "156" in text and "rút gọn" in text


def test_render_stays_on_one_screen_with_every_sign_at_once() -> None:
    worst = (" ".join(OWN_SCAMS[:12]) + " ") * 3
    for lang in ("vi", "en"):
        text = render(check(worst), lang)
        assert len(text) <= 700
        assert [w for w in VERDICT_WORDS if w in text] == ["Nguy hiểm"]


def test_render_unknown_language_falls_back_to_vietnamese() -> None:
    assert "Tôi thấy" in render(check(SAMPLES["nguy-hiem"]), "fr")


def test_every_set_message_renders_within_limits() -> None:
    for message in SET:
        text = render(check(message["text"]), "vi")
        assert len(text) <= 700
        assert sum(word in text for word in VERDICT_WORDS) == 1


# ── Content and its validation ───────────────────────────────────────────────────────────
def test_shipped_content_is_valid() -> None:
    assert validate(CONTENT_DIR) == []


def test_practice_set_cannot_be_passed_blind() -> None:
    practice = load_practice(CONTENT_DIR)
    assert len(practice.items) >= 30
    share = sum(i.is_scam for i in practice.items) / len(practice.items)
    assert 0.4 <= share <= 0.6
    rates = blind_pass_rates(practice)
    assert rates["always Lừa đảo → Lừa đảo"][0] <= 0.05
    assert max(max(pair) for pair in rates.values()) <= 0.05
    for item in practice.items:
        assert item.why and item.sources


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    (target / "scams").mkdir(parents=True)
    shutil.copy(CONTENT_DIR / "sources.yaml", target / "sources.yaml")
    for name in ("rules.yaml", "official_domains.yaml", "practice.yaml"):
        shutil.copy(CONTENT_DIR / "scams" / name, target / "scams" / name)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_copy_of_the_content_is_valid(content: Path) -> None:
    assert validate(content) == []


@pytest.mark.parametrize("old, new, message", [
    ("- '\\b(?:gui|nham|bam) nham ma\\b'", "- '\\b(?:gui|nhan|bam nham ma\\b'", "not a valid regular expression"),
    ("sign: otp_request", "sign: otp", "sign must be one of"),
    ("sources: [S10, S43, S98, S116]", "sources: [S999]", "S999 is not in content/sources.yaml"),
    ("weight: 3\n    patterns:\n      - '\\b(?:doc|", "weight: 7\n    patterns:\n      - '\\b(?:doc|", "weight must be"),
    ("  - id: punycode\n", "  - id: Punycode!\n", "id must be lower-case"),
    ("detector: apk\n", "detector: apk\n    patterns: ['x']\n", "not both"),
])
def test_broken_rule_file_is_refused(content: Path, old: str, new: str, message: str) -> None:
    path = content / "scams" / "rules.yaml"
    if old not in path.read_text(encoding="utf-8"):
        old = old.replace("(?:gui|nham|bam)", "(?:gui|nhan|bam)")
    edit(path, old, new)
    problems = validate(content)
    assert any(message in p and "rules.yaml" in p for p in problems), problems
    with pytest.raises(ScamContentError) as error:
        load_scam_rules(content)
    assert message in str(error.value)


def test_a_rule_that_misses_its_own_example_is_reported(content: Path) -> None:
    edit(content / "scams" / "rules.yaml", "- \"Bac mo UltraViewer len de em thao tac giup\"",
         "- \"Chao bac, chuc bac mot ngay vui\"")
    problems = validate(content)
    assert any("remote-control" in p and "does not catch its example" in p for p in problems), problems


def test_unparsable_yaml_is_reported(content: Path) -> None:
    (content / "scams" / "rules.yaml").write_text("rules: [\n  - id: x\n", encoding="utf-8")
    problems = validate(content)
    assert problems and "not valid YAML" in problems[0]


def test_missing_rule_file_is_reported(content: Path) -> None:
    (content / "scams" / "rules.yaml").unlink()
    with pytest.raises(ScamContentError, match=r"rules\.yaml: file missing"):
        load_scam_rules(content)


@pytest.mark.parametrize("old, new, message", [
    ("domains: [vietcombank.com.vn]", "domains: [com.vn]", "public suffix"),
    ("domains: [vietcombank.com.vn]", "domains: [https://vietcombank.com.vn/]", "not a domain name"),
    ("domains: [momo.vn]", "domains: [vietcombank.com.vn]", "listed for both"),
    ("names: [agribank]", "names: [Agribank]", "lower case without diacritics"),
])
def test_broken_official_domains_are_refused(content: Path, old: str, new: str, message: str) -> None:
    edit(content / "scams" / "official_domains.yaml", old, new)
    problems = validate(content)
    assert any(message in p for p in problems), problems


def test_an_unbalanced_practice_set_is_refused(content: Path) -> None:
    path = content / "scams" / "practice.yaml"
    text = path.read_text(encoding="utf-8").replace("answer: an-toan", "answer: lua-dao")
    path.write_text(text, encoding="utf-8")
    problems = validate(content)
    assert any("are scams" in p for p in problems), problems
    assert any("always Lừa đảo" in p for p in problems), problems
    assert any("is real but the checker" in p or "checker says" in p for p in problems), problems


def test_practice_why_must_be_plain_and_sourced(content: Path) -> None:
    path = content / "scams" / "practice.yaml"
    edit(path, "sources: [S43, S10]\n", "sources: [S4040]\n")
    long_sentence = " ".join(["chữ"] * 30) + "."
    edit(path, "why: \"Tin giả: mã OTP chỉ để chính bạn dùng.", f"why: \"{long_sentence} Tin giả: mã OTP chỉ để chính bạn dùng.")
    problems = validate(content)
    assert any("S4040" in p for p in problems), problems
    assert any("a sentence of the why has 30 words" in p for p in problems), problems
