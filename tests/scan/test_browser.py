"""The done-when command: scan the payments register to an HTML report, open it in headless Chromium,
take a screenshot, and read the rendered summary, charts and table."""

from __future__ import annotations

import shutil
import subprocess
import tempfile

import pytest

from .conftest import AS_OF, ROOT, SHARED_DATA, cli, make_gifts, write_jsonl

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (CI installs it: apt-get install chromium)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                              text=True, timeout=120)


@pytest.mark.slow
def test_html_report_renders_in_headless_chromium(tmp_path):
    payments = SHARED_DATA / "open_payments_2013_sf_3000.csv"
    if payments.exists():
        args = [str(payments), "--mapping", str(ROOT / "examples/mappings/open_payments.yaml")]
    else:  # still test the browser on a machine without ../shared
        args = [str(write_jsonl(tmp_path / "gifts.jsonl", make_gifts(300)))]
    report = tmp_path / "report.html"
    scan = cli("scan", *args, "--as-of", AS_OF, "--format", "html", "--out", str(report), pack=None)  # the real packs
    assert scan.returncode in (0, 1), scan.stderr and report.exists()
    records = scan.stderr.split("scanned ")[1].split(" records")[0]

    shot = tmp_path / "out.png"
    taken = _chromium(f"--screenshot={shot}", "--window-size=1400,2000", report.as_uri())
    assert shot.exists() and shot.stat().st_size > 20_000, taken.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    dom = _chromium("--dump-dom", report.as_uri()).stdout
    assert "conduct-check scan report" in dom
    assert f'Records checked<b id="records-checked">{records}</b>' in dom
    assert dom.count("<svg") == 5 and "Findings by standard" in dom and "Findings over time" in dom
    assert dom.count('<tr data-standard="') > 0 and 'id="filter-severity"' in dom
    assert " shown</span>" in dom
