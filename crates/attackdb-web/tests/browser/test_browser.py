"""The web UI in headless Chromium (Debian's chromium + chromium-driver, through Selenium).

Starts `attackdb serve` on the real releases (and on a crafted hostile bundle), then drives
the pages as a user would: the matrix, its platform filter and search, a technique page, a
Navigator layer loaded from a file (cell colours checked against the navigator crate's, as
`attackdb layer export --format csv` gives them), the coverage page of the Sigma corpus, and
a bundle full of script that must run nothing.

Environment: ATTACKDB_BIN (the binary), ATTACKDB_TEST_DATA (attack-stix-data), and
ATTACKDB_SHARED (the folder holding corpora/); SCREENSHOTS=DIR keeps screenshots.
"""

import csv
import gzip
import io
import json
import os
import socket
import subprocess
import time
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

BIN = os.environ.get("ATTACKDB_BIN", "target/debug/attackdb")
DATA = os.environ.get("ATTACKDB_TEST_DATA", "../shared/attack-stix-data")
SHARED = os.environ.get("ATTACKDB_SHARED", os.path.dirname(os.path.abspath(DATA)))
SIGMA = os.path.join(SHARED, "corpora", "sigma")
LAYERS = os.path.join(SHARED, "corpora", "navigator-layers", "layers", "samples")
SHOTS = os.environ.get("SCREENSHOTS")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data, *extra):
    port = free_port()
    proc = subprocess.Popen(
        [BIN, "--data", data, "serve", "--listen", f"127.0.0.1:{port}", "--quiet", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 180
    while time.time() < deadline:
        line = proc.stdout.readline()
        if line.startswith("serving"):
            return proc, f"http://127.0.0.1:{port}"
        if proc.poll() is not None:
            raise RuntimeError("attackdb serve stopped: " + proc.stderr.read())
    proc.kill()
    raise RuntimeError("attackdb serve did not start in time")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workspace = tmp_path_factory.mktemp("workspace") / "workspace.db"
    proc, url = start_server(DATA, "--rules", SIGMA, "--database", str(workspace))
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def shot(driver, name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        driver.save_screenshot(os.path.join(SHOTS, name + ".png"))


def rgb(color):
    """'#8ec843' -> 'rgb(142, 200, 67)', as the browser reports a computed colour."""
    color = color.lstrip("#")
    r, g, b = (int(color[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgb({r}, {g}, {b})"


def test_matrix_filter_and_search(server, browser):
    browser.get(server + "/matrices/enterprise/")
    tactics = browser.find_elements(By.CSS_SELECTOR, "#matrix > section.tactic")
    assert len(tactics) == 14
    assert "14 tactics, 250 techniques" in browser.find_element(By.ID, "matrix-count").text
    shot(browser, "matrix")
    # Platform filter: choosing Linux reloads the matrix with Linux techniques only.
    Select(browser.find_element(By.ID, "platform")).select_by_visible_text("Linux")
    WebDriverWait(browser, 30).until(ec.url_contains("platform=Linux"))
    assert "on Linux" in browser.find_element(By.ID, "matrix-count").text
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-t='T1059.001']")
    assert browser.find_elements(By.CSS_SELECTOR, "[data-t='T1059.004']")  # Unix Shell
    # Search as you type highlights the matching cells.
    browser.get(server + "/matrices/enterprise/")
    find = browser.find_element(By.ID, "find")
    find.send_keys("powershell")
    WebDriverWait(browser, 10).until(
        lambda d: "match" in d.find_element(By.ID, "find-count").text
    )
    hits = browser.find_elements(By.CSS_SELECTOR, "#matrix li.hit")
    hit_ids = {h.get_attribute("data-t") for h in hits}
    assert "T1059.001" in hit_ids
    assert "T1546.013" in hit_ids  # PowerShell Profile
    assert browser.find_element(By.ID, "find-count").text == f"{len(hits)} matches"
    # Show IDs toggles without reloading.
    browser.find_element(By.ID, "show-ids").click()
    tid = browser.find_element(By.CSS_SELECTOR, "[data-t='T1003'] > .cell .tid")
    assert tid.is_displayed() and tid.text == "T1003"


def test_technique_page(server, browser):
    browser.get(server + "/matrices/enterprise/?subs=open")
    link = browser.find_element(By.CSS_SELECTOR, "[data-tactic='execution'] [data-t='T1059.001'] > .cell a")
    link.click()
    WebDriverWait(browser, 30).until(ec.url_contains("/techniques/T1059/001/"))
    h1 = browser.find_element(By.TAG_NAME, "h1").text
    assert h1 == "T1059.001 PowerShell"
    assert browser.find_element(By.ID, "procedure-examples").is_displayed()
    assert browser.find_element(By.ID, "references").is_displayed()
    # A citation number leads to its reference.
    first = browser.find_element(By.CSS_SELECTOR, ".description sup.cite a")
    target = first.get_attribute("href").split("#")[1]
    assert browser.find_element(By.ID, target).tag_name == "li"
    shot(browser, "technique")
    browser.get(server + "/groups/G0016/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "G0016 APT29"
    used = browser.find_elements(By.CSS_SELECTOR, ".heatmap li.used")
    assert len(used) > 50
    shot(browser, "group")


def navigator_colours(layer_file):
    """(tactic name, technique) -> colour, from the navigator crate through the CLI."""
    out = subprocess.run(
        [BIN, "--data", DATA, "layer", "export", layer_file, "--format", "csv", "--domain", "enterprise"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rows = list(csv.reader(io.StringIO(out)))
    header = rows[0]
    t, n, c = header.index("technique_id"), header.index("tactic"), header.index("color")
    return {(row[n], row[t]): row[c] for row in rows[1:] if row[c]}


def test_layer_file_colours_the_matrix(server, browser):
    path = os.path.join(LAYERS, "heatmap_layer.json")
    expected = navigator_colours(path)
    assert len(expected) > 300
    browser.get(server + "/matrices/enterprise/")
    browser.find_element(By.ID, "layer-file").send_keys(path)
    WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#layer-tabs button")
    )
    WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".cell[data-painted]")
    )
    names = {
        s.get_attribute("data-tactic"): s.find_element(By.CSS_SELECTOR, "h3 a").text
        for s in browser.find_elements(By.CSS_SELECTOR, "#matrix > section.tactic")
    }
    seen = browser.execute_script(
        """
        const out = [];
        document.querySelectorAll('#matrix section.tactic').forEach(function (s) {
          s.querySelectorAll('li[data-t] > .cell[data-painted]').forEach(function (c) {
            out.push([s.getAttribute('data-tactic'), c.parentElement.getAttribute('data-t'),
                      getComputedStyle(c).backgroundColor, c.title]);
          });
        });
        return out;"""
    )
    checked = 0
    for tactic, technique, background, _title in seen:
        want = expected.get((names[tactic], technique))
        if want:
            assert background == rgb(want), (tactic, technique, background, want)
            checked += 1
    assert checked == len(expected), (checked, len(expected))
    shot(browser, "layer")


def test_two_layers_side_by_side_and_combined(server, browser):
    browser.get(server + "/matrices/enterprise/")
    upload = browser.find_element(By.ID, "layer-file")
    upload.send_keys(os.path.join(LAYERS, "heatmap_layer.json"))
    WebDriverWait(browser, 30).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#layer-tabs button")) == 1)
    upload.send_keys(os.path.join(LAYERS, "Bear_APT.json"))
    WebDriverWait(browser, 30).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#layer-tabs button")) == 2)
    browser.find_element(By.ID, "side-by-side").click()
    striped = browser.execute_script(
        """return Array.from(document.querySelectorAll('#matrix .cell[data-painted]'))
             .filter(c => getComputedStyle(c).backgroundImage.indexOf('linear-gradient') >= 0).length"""
    )
    assert striped > 100
    browser.find_element(By.ID, "side-by-side").click()
    # a + b: a third layer, painted like the others.
    browser.find_element(By.ID, "combine-expr").send_keys("a + b")
    browser.find_element(By.ID, "combine").click()
    WebDriverWait(browser, 30).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#layer-tabs button")) == 3)
    assert "c: a + b" in browser.find_elements(By.CSS_SELECTOR, "#layer-tabs button")[2].text


def test_coverage_page_for_sigma(server, browser):
    browser.get(server + "/coverage")
    browser.find_element(By.CSS_SELECTOR, "ul.kept a").click()
    WebDriverWait(browser, 30).until(ec.url_contains("/coverage/r"))
    summary = browser.find_element(By.ID, "coverage-summary").text
    assert "% of Enterprise 18.1" in summary
    rows = browser.find_elements(By.CSS_SELECTOR, "#tactic-table tbody tr")
    assert len(rows) == 14
    # The heatmap is painted by the server's stylesheet (no script needed): T1059.001 has
    # many Sigma rules, so it has a colour.
    cell = browser.find_element(By.CSS_SELECTOR, "[data-tactic='execution'] [data-t='T1059.001'] > .cell")
    assert browser.execute_script("return getComputedStyle(arguments[0]).backgroundColor", cell) not in (
        "rgba(0, 0, 0, 0)",
        "transparent",
    )
    assert browser.find_element(By.ID, "rules-T1059.001")
    shot(browser, "coverage")


HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'


@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    """Enterprise 18.1 with script in a description, a name, aliases and a citation."""
    folder = tmp_path_factory.mktemp("crafted")
    with gzip.open(os.path.join(DATA, "enterprise-attack", "enterprise-attack-18.1.json.gz"), "rt") as f:
        bundle = json.load(f)
    for o in bundle["objects"]:
        ref = next((r for r in o.get("external_references", []) if r.get("source_name") == "mitre-attack"), {})
        if ref.get("external_id") == "T1059.001":
            o["description"] = (
                HOSTILE + "\n\n[click me](javascript:window.__pwned=3) "
                '<a href="javascript:window.__pwned=4">x</a> <svg onload="window.__pwned=5"></svg>'
                " <iframe src=\"javascript:parent.__pwned=6\"></iframe> (Citation: Evil)"
            )
            o["external_references"].append(
                {"source_name": "Evil", "url": "javascript:window.__pwned=7", "description": HOSTILE}
            )
        if ref.get("external_id") == "G0016":
            o["name"] = "APT29" + HOSTILE
            o["aliases"] = ["<img src=x onerror=window.__pwned=8>", "Cozy<script>window.__pwned=9</script>"]
    path = folder / "enterprise-attack-18.1.json"
    path.write_text(json.dumps(bundle))
    proc, url = start_server(str(folder))
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def csp_violations(browser):
    """Console messages about the Content-Security-Policy since the last call."""
    return [e["message"] for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]


def test_intel_pages_from_a_group_page_and_a_form(server, browser):
    browser.get(server + "/groups/G0016/")
    browser.find_element(By.CSS_SELECTOR, "#intel-links a[href^='/intel/profile']").click()
    WebDriverWait(browser, 30).until(ec.url_contains("/intel/profile?ref=G0016"))
    report = browser.find_element(By.ID, "report")
    assert "Techniques by tactic (119 techniques)" in report.text
    shot(browser, "intel-profile")
    # The attribute form: techniques pasted one per line, one of them unknown.
    browser.get(server + "/intel/attribute")
    browser.find_element(By.NAME, "techniques").send_keys("T1059.001\nT1003.001\nT9999")
    browser.find_element(By.CSS_SELECTOR, "#intel-form button[type=submit]").click()
    WebDriverWait(browser, 30).until(ec.presence_of_element_located((By.ID, "report")))
    assert "line 3: T9999 is not a technique" in browser.find_element(By.ID, "intel-problems").text
    with urllib.request.urlopen(server + "/api/v1/attribute?techniques=T1059.001,T1003.001") as r:
        want = [x["id"] for x in json.load(r)["results"]]
    cells = browser.find_elements(By.CSS_SELECTOR, "#report tbody tr td:nth-child(2)")
    assert [c.text for c in cells] == want
    shot(browser, "intel-attribute")
    # Each result's ID leads to its page.
    cells[0].find_element(By.TAG_NAME, "a").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_element(By.TAG_NAME, "h1").text.startswith(want[0]))


def test_pages_keep_their_own_csp(server, browser):
    csp_violations(browser)
    for path in ("/", "/matrices/enterprise/?layer=group:G0016", "/techniques/T1059/001/", "/groups/G0016/",
                 "/search?q=powershell", "/changes", "/coverage"):
        browser.get(server + path)
        assert csp_violations(browser) == [], path


def no_script_ran(browser):
    assert browser.execute_script("return typeof window.__pwned") == "undefined"
    # An alert would be open now.
    assert not ec.alert_is_present()(browser)


def test_crafted_bundle_runs_nothing(crafted, browser, tmp_path):
    for path in (
        "/techniques/T1059/001/",
        "/groups/G0016/",
        "/search?q=APT29",
        "/matrices/enterprise/?layer=group:G0016",
        "/software/S0154/",
    ):
        browser.get(crafted + path)
        no_script_ran(browser)
        html = browser.page_source.lower()
        assert "javascript:" not in html.replace("javascript:window.__pwned=3) ", ""), path
    # The name shows as text, not as markup.
    browser.get(crafted + "/groups/G0016/")
    assert "<script>" in browser.find_element(By.TAG_NAME, "h1").text
    # The refused links are not links; clicking the text runs nothing.
    browser.get(crafted + "/techniques/T1059/001/")
    for a in browser.find_elements(By.CSS_SELECTOR, ".description a, .references a"):
        assert not (a.get_attribute("href") or "").lower().startswith("javascript")
    # A layer whose comment and name hold script: shown as text in titles and the legend.
    layer = {
        "name": "<img src=x onerror=window.__pwned=10>",
        "domain": "enterprise-attack",
        "versions": {"layer": "4.5"},
        "techniques": [{"techniqueID": "T1003", "score": 1, "comment": HOSTILE}],
        "legendItems": [{"label": HOSTILE, "color": "#ff0000"}],
    }
    file = tmp_path / "hostile-layer.json"
    file.write_text(json.dumps(layer))
    browser.get(crafted + "/matrices/enterprise/")
    browser.find_element(By.ID, "layer-file").send_keys(str(file))
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".cell[data-painted]"))
    cell = browser.find_element(By.CSS_SELECTOR, "[data-t='T1003'] > .cell[data-painted]")
    assert HOSTILE in cell.get_attribute("title")
    assert "<img" in browser.find_element(By.ID, "legend").text
    no_script_ran(browser)


def test_sign_in_with_a_token_of_the_token_file(browser, tmp_path):
    """With --token-file a browser, which cannot send a bearer token, signs in once; a wrong
    token is refused with a message, the right one brings it back to the page it asked for."""
    tokens = tmp_path / "tokens"
    tokens.write_text("s3cret-token\n")
    proc, url = start_server(DATA, "--token-file", str(tokens))
    try:
        csp_violations(browser)
        browser.get(url + "/groups/G0016/")
        WebDriverWait(browser, 30).until(ec.url_contains("/login?next="))
        assert browser.find_element(By.TAG_NAME, "h1").text == "Sign in"
        shot(browser, "sign-in")
        field = browser.find_element(By.ID, "token")
        field.send_keys("a-guess")
        field.submit()
        WebDriverWait(browser, 30).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, "p.error[role=alert]"))
        )
        assert "not a token of this server" in browser.find_element(By.CSS_SELECTOR, "p.error").text
        field = browser.find_element(By.ID, "token")
        field.send_keys("s3cret-token")
        field.submit()
        WebDriverWait(browser, 30).until(ec.url_to_be(url + "/groups/G0016/"))
        assert "APT29" in browser.find_element(By.TAG_NAME, "h1").text
        shot(browser, "signed-in")
        # The cookie is HTTP-only: the page's script cannot read the token.
        assert "s3cret" not in browser.execute_script("return document.cookie")
        assert not csp_violations(browser)
    finally:
        browser.get(url + "/logout")
        proc.terminate()
        proc.wait(timeout=30)


def post_json(url, body, method="POST", headers=None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(request) as r:
        return json.load(r)


def test_the_workspace_in_the_browser(browser, tmp_path):
    """A saved layer at /layers/ID painted as the navigator crate paints it; a note with script
    in it added through the object page's form, shown rendered and running nothing; the trend
    page's chart drawn on the server."""
    proc, url = start_server(DATA, "--database", str(tmp_path / "w.db"))
    try:
        csp_violations(browser)
        path = os.path.join(LAYERS, "Bear_APT.json")
        with open(path, "rb") as f:
            saved = post_json(url + "/api/v1/workspace/layers?tags=apt", f.read())
        expected = navigator_colours(path)
        assert len(expected) > 100
        browser.get(url + saved["url"])
        assert "revision 1 of 1" in browser.find_element(By.ID, "saved-title").text
        names = {
            s.get_attribute("data-tactic"): s.find_element(By.CSS_SELECTOR, "h3 a").text
            for s in browser.find_elements(By.CSS_SELECTOR, "#matrix > section.tactic")
        }
        seen = browser.execute_script(
            """
            const out = [];
            document.querySelectorAll('#matrix section.tactic').forEach(function (s) {
              s.querySelectorAll('li[data-t] > .cell').forEach(function (c) {
                out.push([s.getAttribute('data-tactic'), c.parentElement.getAttribute('data-t'),
                          getComputedStyle(c).backgroundColor]);
              });
            });
            return out;"""
        )
        checked = 0
        for tactic, technique, background in seen:
            want = expected.get((names[tactic], technique))
            if want:
                assert background == rgb(want), (tactic, technique, background, want)
                checked += 1
        assert checked == len(expected), (checked, len(expected))
        assert browser.find_element(By.ID, "layer-url").get_attribute("href") == url + saved["layer_url"]
        shot(browser, "saved-layer")

        # A note through the form, with script in it.
        browser.get(url + "/techniques/T1059/001/")
        assert browser.find_element(By.ID, "no-notes")
        body = browser.find_element(By.ID, "note-body")
        body.send_keys("Seen by **EDR rule 42** on servers only, see layer:%d.\n\n" % saved["id"] + HOSTILE
                       + ' [x](javascript:window.__pwned=3) <svg onload="window.__pwned=5"></svg>')
        browser.find_element(By.CSS_SELECTOR, "#note-form button[type=submit]").click()
        WebDriverWait(browser, 30).until(ec.url_contains("#note-"))
        note = browser.find_element(By.CSS_SELECTOR, "#team-notes .team-note")
        assert note.find_element(By.TAG_NAME, "strong").text == "EDR rule 42"
        no_script_ran(browser)
        assert "onerror" not in browser.page_source and "onload=" not in browser.page_source
        for a in note.find_elements(By.TAG_NAME, "a"):
            assert not (a.get_attribute("href") or "").lower().startswith("javascript")
        shot(browser, "note")
        # The layer's page now says what names it.
        browser.get(url + saved["url"])
        assert browser.find_element(By.CSS_SELECTOR, "#saved-layer a[href^='/notes/']")

        # A layer opened from a file is saved from the matrix; on its page, saved again as a
        # new revision.
        browser.get(url + "/matrices/enterprise/")
        browser.find_element(By.ID, "layer-file").send_keys(os.path.join(LAYERS, "heatmap_layer.json"))
        WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "ws-save").is_displayed())
        browser.find_element(By.ID, "ws-save").click()
        WebDriverWait(browser, 30).until(ec.url_matches(r"/layers/\d+$"))
        assert "revision 1 of 1" in browser.find_element(By.ID, "saved-title").text
        WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "ws-save").is_displayed())
        browser.find_element(By.ID, "ws-save").click()
        WebDriverWait(browser, 30, ignored_exceptions=[StaleElementReferenceException]).until(
            lambda d: "revision 2 of 2" in d.find_element(By.ID, "saved-title").text)

        # Two assessments of one name: the trend page draws their tactics without script.
        for taken, percent in ((1_000, 20.0), (2_000, 45.0)):
            post_json(url + "/api/v1/workspace/assessments", json.dumps({
                "name": "quarterly", "rule_set": "sigma", "domain": "enterprise-attack", "release": "18.1",
                "taken_at": taken, "covered": 1, "total": 10, "percent": percent,
                "tactics": [{"shortname": "execution", "id": "TA0002", "name": "Execution", "covered": 1,
                             "partly": 0, "techniques": 10, "percent": percent}],
                "techniques": {},
            }).encode(), headers={"Content-Type": "application/json"})
        browser.get(url + "/assessments/trend?name=quarterly")
        chart = browser.find_element(By.CSS_SELECTOR, "figure.trend svg")
        assert chart.is_displayed() and chart.size["width"] > 400
        assert len(chart.find_elements(By.TAG_NAME, "polyline")) == 1
        cells = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "#trend-table tbody tr:nth-child(2) td")]
        assert cells == ["20.0", "45.0"], cells
        shot(browser, "trend")
        assert csp_violations(browser) == []
    finally:
        proc.terminate()
        proc.wait(timeout=30)


MAP_REPORT = """Operation Example

In March, APT29 sent spearphishing emails with malicious Word attachments to government staff.
When opened, the macro launched PowerShell to download a second-stage loader.
The loader added a Registry Run key for persistence and created a scheduled task.
The actors then dumped credentials from LSASS memory using Mimikatz and moved laterally over RDP.
"""


def test_map_a_report_then_attribute_and_open_it(server, browser):
    """Paste a report, reject one suggestion, attribute the rest (the same ranking as the API's
    attribute of the same IDs) and open them on the matrix (the rejected one not painted)."""
    csp_violations(browser)
    browser.get(server + "/map")
    browser.find_element(By.ID, "report-text").send_keys(MAP_REPORT)
    browser.find_element(By.CSS_SELECTOR, "#map-form button[type=submit]").click()
    WebDriverWait(browser, 60).until(ec.presence_of_element_located((By.ID, "map-techniques")))
    assert "for an analyst to review" in browser.find_element(By.ID, "map-note").text
    rows = browser.find_elements(By.CSS_SELECTOR, "#map-techniques tbody tr")
    suggested = [r.get_attribute("data-t") for r in rows]
    for named in ("T1059.001", "T1003.001", "T1053.005"):
        assert named in suggested, suggested
    assert browser.find_elements(By.CSS_SELECTOR, "#map-text mark.mapped")
    shot(browser, "map-report")
    rejected = suggested[-1]
    rows[-1].find_element(By.CSS_SELECTOR, "input.accept").click()
    accepted = [t for t in suggested if t != rejected]
    assert browser.find_element(By.ID, "map-actions").get_attribute("data-accepted") == ",".join(accepted)
    assert browser.find_element(By.ID, "accepted-count").text == f"{len(accepted)} accepted"
    browser.find_element(By.ID, "attribute").click()
    WebDriverWait(browser, 60).until(ec.url_contains("/intel/attribute"))
    WebDriverWait(browser, 60).until(ec.presence_of_element_located((By.ID, "report")))
    with urllib.request.urlopen(server + "/api/v1/attribute?techniques=" + ",".join(accepted)) as r:
        want = [x["id"] for x in json.load(r)["results"]]
    cells = browser.find_elements(By.CSS_SELECTOR, "#report tbody tr td:nth-child(2)")
    assert [c.text for c in cells] == want
    browser.back()
    WebDriverWait(browser, 30).until(ec.presence_of_element_located((By.ID, "map-techniques")))
    # The page was restored from history: untick again if the browser reset the box.
    box = browser.find_element(By.CSS_SELECTOR, f"#map-techniques tr[data-t='{rejected}'] input.accept")
    if box.is_selected():
        box.click()
    browser.find_element(By.ID, "open-matrix").click()
    WebDriverWait(browser, 60).until(ec.url_contains("/matrices/"))
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#matrix li[data-t]"))
    painted = browser.execute_script(
        """const out = {};
        document.querySelectorAll('#matrix li[data-t] > .cell').forEach(function (c) {
          const bg = getComputedStyle(c).backgroundColor;
          if (bg === 'rgb(102, 177, 255)') out[c.parentElement.getAttribute('data-t')] = true;
        });
        return Object.keys(out);"""
    )
    assert set(painted) == set(accepted), (painted, accepted)
    # The accepted set against the Sigma rules the server keeps: uncovered first.
    browser.back()
    WebDriverWait(browser, 30).until(ec.presence_of_element_located((By.CSS_SELECTOR, "button.coverage-gaps")))
    box = browser.find_element(By.CSS_SELECTOR, f"#map-techniques tr[data-t='{rejected}'] input.accept")
    if box.is_selected():
        box.click()
    browser.find_element(By.CSS_SELECTOR, "button.coverage-gaps").click()
    WebDriverWait(browser, 60).until(ec.presence_of_element_located((By.ID, "chosen-table")))
    rows = browser.find_elements(By.CSS_SELECTOR, "#chosen-table tbody tr")
    assert sorted(r.find_element(By.CSS_SELECTOR, "td a").text for r in rows) == sorted(accepted)
    order = {"not covered": 0, "partly": 1, "covered": 2}
    statuses = [order[r.find_elements(By.TAG_NAME, "td")[1].text] for r in rows]
    assert statuses == sorted(statuses), statuses
    # Saved to the team's workspace in one click: a layer of exactly the accepted techniques.
    browser.back()
    WebDriverWait(browser, 30).until(ec.presence_of_element_located((By.ID, "map-save")))
    box = browser.find_element(By.CSS_SELECTOR, f"#map-techniques tr[data-t='{rejected}'] input.accept")
    if box.is_selected():
        box.click()
    browser.find_element(By.ID, "map-save").click()
    WebDriverWait(browser, 60).until(ec.url_matches(r"/layers/\d+$"))
    with urllib.request.urlopen(browser.current_url + "/layer.json") as r:
        saved = json.load(r)
    assert sorted(t["techniqueID"] for t in saved["techniques"]) == sorted(accepted)
    assert saved["name"] == "mapped: the pasted text"
    assert csp_violations(browser) == []
