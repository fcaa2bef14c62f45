"""`thaw report` end to end: real bench, tune, stress and compare runs against a real server
become report.html and report.json, and real headless Chromium (Debian's chromium and
chromium-driver, driven by selenium) opens the page from disk and checks that it renders: no
console error, no request but the file itself, every chart drawn at a non-zero size, and each
chart's datasets (read from Chart.js's live objects) holding exactly the points report.json
counts. A full-page screenshot is kept (REPORT_SCREENSHOT, else report-screenshot.png beside the
thaw binary) and its path printed.

Without Chromium, chromedriver or selenium the browser tests skip; with CI=true they fail.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, THAW_BIN, boto_client, create_function, poll

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ZIPS = ["echo", "noop", "stress-panic", "stress-exit", "mech-runtime-api", "mech-spawn",
        "latency-a", "latency-b"]


def latency_ways():
    """Both ways as root with iproute2 (the test host is a network namespace), else invoke."""
    if os.geteuid() == 0 and shutil.which("ip"):
        return ["invoke", "http"]
    print("not root or no iproute2: the latency experiment runs the Invoke API way only")
    return ["invoke"]


@pytest.fixture(scope="module")
def zips(request):
    """The directory of the example zips; builds the examples only when one is missing."""
    go = ROOT / "build" / "examples" / "go"
    built = all((go / f"{name}.zip").exists() for name in ZIPS)
    if not built or not (go / "latency-host").exists():
        go = request.getfixturevalue("examples").go_dir
    return go


def thaw(server, *args, ok=(0,), timeout=120):
    env = {k: v for k, v in os.environ.items() if k != "THAW_ENDPOINT"}
    res = subprocess.run([str(THAW_BIN), "--endpoint", server.url, *map(str, args)],
                         capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)
    assert res.returncode in ok, (
        f"thaw {' '.join(map(str, args))}: exit {res.returncode}\n"
        f"stdout:\n{res.stdout}\nstderr:\n{res.stderr}")
    return res


def has_compare(server):
    return thaw(server, "compare", "--help", ok=(0, 2)).returncode == 0


@pytest.fixture(scope="module")
def inputs(thaw_server, lam, zips, tmp_path_factory):
    """The --json files of real runs (small counts)."""
    d = tmp_path_factory.mktemp("report-inputs")
    for name in ("echo", "noop"):
        create_function(lam, name, zips / f"{name}.zip")
    files = {"bench": [d / "bench-echo.json", d / "bench-noop.json"]}
    thaw(thaw_server, "bench", "echo", "-n", 120, "-c", 2, "--json", files["bench"][0])
    thaw(thaw_server, "bench", "noop", "-n", 60, "--json", files["bench"][1])
    files["tune"] = d / "tune.json"
    thaw(thaw_server, "tune", "echo", "--memory", "128,512,1769", "-n", 5, "--json", files["tune"])
    files["stress"] = d / "stress.json"
    # Exit 1 means a behaviour differed from Lambda: still a verdict table to show.
    thaw(thaw_server, "stress", "--only", "panic,exit", "--examples", zips, "--json",
         files["stress"], ok=(0, 1))
    if has_compare(thaw_server):
        files["compare"] = d / "compare.json"
        thaw(thaw_server, "compare", "--zips", zips, "--mechanisms", "runtime-api,spawn", "-n", 10,
             "--cold", 1, "-c", 2, "--json", files["compare"])
    else:
        print("thaw compare is not in this build: the report's compare section is not run")
    files["stream"] = stream_records(thaw_server, d / "stream.json")
    files["latency"] = d / "latency.json"
    ways = latency_ways()
    thaw(thaw_server, "latency", "--calls", 150, "--via", "both" if len(ways) == 2 else "invoke",
         "--zips", zips, "--json", files["latency"])
    return files


def stream_records(server, path):
    """A Kinesis stream of 2 shards mapped to echo, 30 records put, the invocation records of
    the batches written as `thaw invocations --json` writes them (for --stream)."""
    kin = boto_client("kinesis", server)
    lam = boto_client("lambda", server)
    name = f"report-stream-{os.getpid()}"
    kin.create_stream(StreamName=name, ShardCount=2)
    kin.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    arn = kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    for i in range(30):
        kin.put_record(StreamName=name, PartitionKey=f"k{i}", Data=json.dumps({"i": i}).encode())
    lam.create_event_source_mapping(FunctionName="echo", EventSourceArn=arn, BatchSize=4,
                                    StartingPosition="TRIM_HORIZON")

    def delivered():
        out = thaw(server, "invocations", "echo", "--json", "-n", 10000).stdout
        batches = [r["eventSource"] for r in json.loads(out) if "eventSource" in r]
        return out if sum(b["batchSize"] for b in batches) >= 30 else None
    path.write_text(poll(delivered, timeout=20, interval=0.2, what="30 records delivered"))
    return path


def report(server, out, **inputs):
    args = ["report", "--out", out]
    for flag, value in inputs.items():
        args += [f"--{flag}", ",".join(map(str, value)) if isinstance(value, list) else value]
    res = thaw(server, *args)
    html, data = out / "report.html", out / "report.json"
    assert res.stdout.splitlines()[-1] == f"report: {html}", res.stdout
    assert f"data:   {data}" in res.stdout
    return html, json.loads(data.read_text())


@pytest.fixture(scope="module")
def main_report(thaw_server, inputs, tmp_path_factory):
    """What the README's main job makes: every section."""
    out = tmp_path_factory.mktemp("report")
    return report(thaw_server, out, **inputs)


@pytest.fixture(scope="module")
def latency_report(thaw_server, inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("report-latency")
    return report(thaw_server, out, latency=inputs["latency"], stress=inputs["stress"])


@pytest.fixture(scope="module")
def browser():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium (scripts/setup-test-env.sh)")
    if missing:
        reason = f"headless Chromium is not available: missing {', '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true: " + reason)
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # --no-sandbox: Chromium's own sandbox refuses to run as root, as the tests do.
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--hide-scrollbars"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def open_report(driver, html):
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get_log("performance")
    driver.get(html.as_uri())
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(driver, 15).until(
        lambda d: d.execute_script("return document.body.dataset.charts === 'ready'"))
    requests = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requests.append(message["params"]["request"]["url"])
    return driver.get_log("browser"), requests


# Per chart: the live Chart.js datasets' lengths and the canvas's drawn size.
LIVE_CHARTS = """
const out = {};
for (const [id, chart] of Object.entries(window.thawCharts)) {
  const box = chart.canvas.getBoundingClientRect();
  out[id] = {type: chart.config.type, lengths: chart.data.datasets.map((d) => d.data.length),
             width: box.width, height: box.height, canvasWidth: chart.canvas.width};
}
return out;
"""


def check_page(driver, html, data):
    logs, requests = open_report(driver, html)
    severe = [entry for entry in logs if entry["level"] == "SEVERE"]
    assert not severe, severe
    assert requests, "the page itself was not seen loading"
    assert all(url == html.as_uri() for url in requests), requests

    live = driver.execute_script(LIVE_CHARTS)
    charts = [c for s in data["sections"] for c in s["charts"]]
    assert sorted(live) == sorted(c["id"] for c in charts)
    for chart in charts:
        got = live[chart["id"]]
        assert got["type"] == chart["kind"], chart["id"]
        assert got["lengths"] == [s["count"] for s in chart["series"]], chart["id"]
        assert sum(got["lengths"]) == chart["points"] > 0, chart["id"]
        assert got["width"] > 100 and got["height"] > 100 and got["canvasWidth"] > 0, got

    # Every section is on the page; the ones without input say so.
    for section in data["sections"]:
        text = driver.find_element("id", section["id"]).text
        assert section["title"] in text
        assert ("Not run" in text) == (section["status"] == "not run"), section["id"]
    return live


def test_main_report_renders(browser, main_report):
    html, data = main_report
    sections = {s["id"]: s for s in data["sections"]}
    assert sections["bench-0"]["title"] == "Function echo"
    assert sections["bench-1"]["title"] == "Function noop"
    assert sections["tune"]["status"] == "ok"
    assert sections["stress"]["status"] == "ok"
    assert sections["latency"]["status"] == "ok"
    assert sections["stream"]["status"] == "ok"
    stream = {c["id"]: c for c in sections["stream"]["charts"]}
    assert set(stream) == {"stream-iterator-age", "stream-batch-size", "stream-attempts",
                           "stream-put-to-handler"}
    assert len(stream["stream-iterator-age"]["series"]) == 2  # one per shard
    # bench: cold vs warm, histogram, CDF per function; echo had cold starts (2 clients).
    echo = {c["id"]: c for c in sections["bench-0"]["charts"]}
    assert set(echo) == {"bench-0-cold-warm", "bench-0-histogram", "bench-0-cdf"}
    names = [s["name"] for s in echo["bench-0-cold-warm"]["series"]]
    assert any(n.startswith("warm client") for n in names), names
    assert any(n.startswith("cold client") for n in names), names
    verdicts = sections["stress"]["tables"][0]["rows"]
    assert [row[0] for row in verdicts] == ["panic", "exit"]

    live = check_page(browser, html, data)
    # 2 x 3 bench charts, the tuning curve, 2 + 3 per way of the latency experiment (+2 compare)
    assert len(live) >= 12

    # The stress verdicts are an HTML table, coloured by verdict.
    cells = browser.find_elements("css selector", "#stress td.pass, #stress td.fail")
    assert [c.text for c in cells] == [row[4] for row in verdicts]

    # The whole page: size the window to the document, then shoot.
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1400, min(height + 40, 16000))
    shot = Path(os.environ.get("REPORT_SCREENSHOT", THAW_BIN.parent / "report-screenshot.png"))
    assert browser.save_screenshot(str(shot)), shot
    assert shot.stat().st_size > 10_000
    print(f"\nreport: {html}\nscreenshot: {shot}")


def test_latency_experiment_renders(browser, latency_report):
    html, data = latency_report
    sections = {s["id"]: s for s in data["sections"]}
    latency = sections["latency"]
    assert latency["status"] == "ok"
    assert "SIMULATION" in latency["note"]
    for absent in ("bench", "tune", "compare"):
        assert sections[absent]["status"] == "not run"
    ways = latency_ways()
    charts = {c["id"]: c for c in latency["charts"]}
    expected = {"latency-negative", "latency-offsets"}
    for way in ways:
        expected |= {f"latency-{way}-distribution", f"latency-{way}-cdf", f"latency-{way}-drift"}
    assert set(charts) == expected
    # The seed's, raw and corrected negative fraction per way; injected, estimate and its bound.
    assert charts["latency-negative"]["points"] == 3 * len(ways)
    assert charts["latency-offsets"]["points"] == 4 * len(ways)
    seed = {p[0]: p[1] for p in charts["latency-negative"]["series"][0]["points"]}
    assert sorted(round(v, 2) for v in seed.values()) == sorted(
        {"invoke": 6.68, "http": 46.38}[w] for w in ways)
    for way in ways:
        dist = charts[f"latency-{way}-distribution"]
        assert [s["name"].split()[0] for s in dist["series"]] == ["raw", "corrected"]
        assert sum(p[1] for p in dist["series"][0]["points"]) > 0.95 * 150
    rows = latency["tables"][0]["rows"]
    assert len(rows) == len(ways)
    assert all(row[8] == "yes" for row in rows), rows  # every estimate holds the injected offset
    check_page(browser, html, data)
    text = browser.find_element("id", "latency").text
    assert "SIMULATION" in text
    assert "6.68%" in text  # the seed's Lambda -> Lambda figure, in the table


def test_page_is_self_contained(main_report):
    """One file: the library and data are inlined, nothing is loaded from anywhere."""
    html, data = main_report
    text = html.read_text()
    assert "Chart.js v" in text  # the library's own banner
    assert " src=" not in text
    assert "sourceMappingURL" not in text
    assert json.dumps(data["sections"][0]["title"])[1:-1] in text


def test_report_needs_an_input(thaw_server, tmp_path):
    res = thaw(thaw_server, "report", "--out", tmp_path / "r", ok=(2,))
    assert "at least one" in res.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "a bench file"}')
    res = thaw(thaw_server, "report", "--bench", bad, "--out", tmp_path / "r", ok=(2,))
    assert "thaw bench" in res.stderr
    assert not (tmp_path / "r" / "report.html").exists()
