"""Certificate rendering benchmark.

    .venv/bin/python bench/certificates.py [--n 50] [--target-ms 200] [--strict]
    .venv/bin/python bench/certificates.py --samples docs   # regenerate the doc images

Renders N certificates (different names, codes and topic counts), each as PDF
and as chat PNG, and prints certificates/second and mean / p50 / p99 latency
for the PDF, the PNG and both together, against the per-certificate target.
The one-off start-up cost (font subsetting, first font loads) is measured
separately and not counted: the bot pays it once, ideally via warm_up().
"""

from __future__ import annotations

import argparse
import datetime
import math
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.quiz.codes import new_code  # noqa: E402
from bot.quiz.render import (  # noqa: E402
    OVERALL_TITLE,
    TOPIC_TITLE,
    CertificateView,
    render_pdf,
    render_png,
    warm_up,
)

KEY = b"bench-key"
BASE_URL = "https://binhdanhocvuso.example.vn"
NAMES = [
    "Nguyễn Thị Hồng Nhung",
    "Trần Văn Bình",
    "Lê Thị Ánh",
    "Phạm Quốc Hưng",
    "Hoàng Thị Thu Hương",
    "Vũ Đức Thắng",
    "Đặng Ngọc Ẩn",
    "Bùi Thị Xuân Hoà",
    "Tôn Nữ Thị Hoàng Phượng",
    "Đỗ Văn Lực",
]
WARDS = ["Hưng Đạo", "Lê Chân", "Ngô Quyền", None, "An Biên"]
TDPS = ["Tổ dân phố số 5", "12", None, "Tổ dân phố Đông Hải 2"]
TOPICS = [
    "VNeID",
    "Dịch vụ công trực tuyến",
    "Thanh toán không tiền mặt",
    "An toàn trên mạng",
]

SAMPLE = CertificateView(
    holder_name="Nguyễn Thị Hồng Nhung",
    ward="Hưng Đạo",
    tdp="Tổ dân phố số 5",
    title=OVERALL_TITLE,
    topics=list(TOPICS),
    issued_on=datetime.date(2026, 11, 23),
    code="ABCD-EFGH-JKMN",
    verify_url=f"{BASE_URL}/verify/ABCD-EFGH-JKMN",
)


def make_view(i: int) -> CertificateView:
    code = new_code(KEY)
    overall = i % 5 == 0
    return CertificateView(
        holder_name=NAMES[i % len(NAMES)],
        ward=WARDS[i % len(WARDS)],
        tdp=TDPS[i % len(TDPS)],
        title=OVERALL_TITLE if overall else TOPIC_TITLE,
        topics=list(TOPICS) if overall else [TOPICS[i % len(TOPICS)]],
        issued_on=datetime.date(2026, 1, 1) + datetime.timedelta(days=i * 7),
        code=code,
        verify_url=f"{BASE_URL}/verify/{code}",
    )


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def write_samples(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    pdf_path = out / "certificate-sample.pdf"
    pdf_path.write_bytes(render_pdf(SAMPLE))
    (out / "certificate-chat-sample.png").write_bytes(render_png(SAMPLE))
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf_path),
             str(out / "certificate-sample")],
            check=True,
        )
        pdf_path.unlink()
        print(f"wrote {out / 'certificate-sample.png'} and {out / 'certificate-chat-sample.png'}")
    else:
        print(f"pdftoppm not found (apt-get install poppler-utils); wrote {pdf_path}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=50, help="certificates to render (default 50)")
    ap.add_argument("--target-ms", type=float, default=200.0, help="per-certificate target for PDF+PNG")
    ap.add_argument("--strict", action="store_true", help="exit 1 if p99 (PDF+PNG) misses the target")
    ap.add_argument("--samples", type=Path, help="write the sample images to this folder and exit")
    args = ap.parse_args()

    if args.samples:
        write_samples(args.samples)
        return 0

    t0 = time.perf_counter()
    warm_up()
    startup_ms = (time.perf_counter() - t0) * 1000

    views = [make_view(i) for i in range(args.n)]
    pdf_ms: list[float] = []
    png_ms: list[float] = []
    both_ms: list[float] = []
    pdf_bytes = png_bytes = 0
    start = time.perf_counter()
    for view in views:
        a = time.perf_counter()
        pdf = render_pdf(view)
        b = time.perf_counter()
        png = render_png(view)
        c = time.perf_counter()
        pdf_ms.append((b - a) * 1000)
        png_ms.append((c - b) * 1000)
        both_ms.append((c - a) * 1000)
        pdf_bytes += len(pdf)
        png_bytes += len(png)
    wall = time.perf_counter() - start

    print(f"certificates: {args.n} (PDF + PNG each), start-up/warm-up {startup_ms:.0f} ms (once per process)")
    print(f"throughput:   {args.n / wall:.1f} certificates/s ({wall * 1000:.0f} ms total)")
    print(f"{'':6} {'mean':>8} {'p50':>8} {'p99':>8} {'max':>8}   avg size")
    for label, values, size in (
        ("PDF", pdf_ms, pdf_bytes),
        ("PNG", png_ms, png_bytes),
        ("both", both_ms, pdf_bytes + png_bytes),
    ):
        print(
            f"{label:6} {statistics.fmean(values):7.1f}ms {pct(values, 50):7.1f}ms "
            f"{pct(values, 99):7.1f}ms {max(values):7.1f}ms   {size / args.n / 1024:.0f} KiB"
        )
    p99 = pct(both_ms, 99)
    ok = p99 <= args.target_ms
    print(
        f"target:       PDF+PNG under {args.target_ms:.0f} ms per certificate -> "
        f"{'OK' if ok else 'MISSED'} (p99 {p99:.1f} ms, mean {statistics.fmean(both_ms):.1f} ms)"
    )
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
