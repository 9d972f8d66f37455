#!/usr/bin/env python3
"""End to end test of `meshnode console` (make test runs it).

Starts an eight-node mesh on loopback as scripts/mesh-demo.sh makes one (CA, synthetic
sites, init, run), issues a researcher, starts the console against one node, then:

- the API: catalogue, members, a bad query as problem+json;
- the page in headless Chromium (Debian's chromium and chromium-driver, selenium): a query
  built by clicking (group by diagnosis, then modality), run; the providers' outcomes, the
  result with a withheld cell shown as <K, the heat map, the `meshnode query` equivalent,
  a typed query with an error; a screenshot in --out (and in docs/ with --docs-screenshot);
- the OpenAPI document: openapi-spec-validator, then schemathesis against the running API
  with a bounded number of examples: no 5xx, no response outside the schema.

Prints one line per check and closes with 'console: N passed, M failed'; exits 1 on a failure.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

PROFILES = ["general", "prostate", "breast", "paediatric", "lung", "general", "prostate", "paediatric"]
NAMES = ["amsterdam-umc", "milano-prostate", "paris-breast", "barcelona-children", "berlin-lung",
         "lisbon-general", "leuven-urology", "vienna-children"]
MESH_READY_SECONDS = 60
CONSOLE_READY_SECONDS = 20
QUERY_SECONDS = 60


class Mesh:
    """The nodes and the console, as child processes stopped (SIGTERM) at the end."""

    def __init__(self, meshnode, directory, base_port):
        self.meshnode, self.dir, self.base_port = meshnode, directory, base_port
        self.processes = []

    def run(self, *args, **kwargs):
        return subprocess.run([self.meshnode, *args], check=True, capture_output=True, text=True, **kwargs)

    def start(self):
        self.run("ca", "init", "--dir", f"{self.dir}/ca")
        for i, name in enumerate(NAMES):
            csv = f"{self.dir}/{name}.csv"
            self.run("synth", "--profile", PROFILES[i], "--subjects", str(300 + 100 * i), "--seed", str(i + 1), "--out", csv)
            self.run("init", "--node-id", name, "--ca-dir", f"{self.dir}/ca", "--listen", f"127.0.0.1:{self.base_port + i}",
                     "--seeds", f"127.0.0.1:{self.base_port}", "--csv", csv, "--site-name", f"{name} ({PROFILES[i]})",
                     "--dir", f"{self.dir}/{name}")
        for name in NAMES:
            log = open(f"{self.dir}/{name}.log", "w")
            self.processes.append(subprocess.Popen(
                [self.meshnode, "run", "--config", f"{self.dir}/{name}/node.yaml", "--log-level", "notice"], stdout=log, stderr=log))
        self.run("ca", "issue-researcher", "--dir", f"{self.dir}/ca", "--id", "alice", "--out", f"{self.dir}/alice")
        deadline = time.time() + MESH_READY_SECONDS
        while time.time() < deadline:
            status = subprocess.run([self.meshnode, "status", "--config", f"{self.dir}/{NAMES[0]}/node.yaml", "--format", "json",
                                     "--timeout", "2"], capture_output=True, text=True)
            if status.returncode == 0:
                parsed = json.loads(status.stdout)
                if sum(m["status"] == "alive" for m in parsed["members"]) == len(NAMES) and len(parsed["catalogues"]) == len(NAMES):
                    return
            time.sleep(0.5)
        raise RuntimeError(f"the mesh did not converge in {MESH_READY_SECONDS} s; see the logs in {self.dir}")

    def start_console(self):
        log = open(f"{self.dir}/console.log", "w")
        console = subprocess.Popen(
            [self.meshnode, "console", "--node", f"127.0.0.1:{self.base_port}", "--identity", f"{self.dir}/alice",
             "--ca", f"{self.dir}/alice/ca.crt", "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=log, text=True)
        self.processes.append(console)
        line = console.stdout.readline()
        if "http://" not in line:
            raise RuntimeError(f"the console did not start: {line!r}; see {self.dir}/console.log")
        return line[line.index("http://"):].split()[0]

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def http(url, body=None):
    request = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("Content-Type"), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type"), error.read()


def check_api(url):
    status, _, body = http(url + "v1/catalogue")
    assert status == 200, f"GET /v1/catalogue: {status} {body[:300]!r}"
    catalogue = json.loads(body)
    assert len(catalogue["providers"]) == len(NAMES), f"{len(catalogue['providers'])} providers in the catalogue"
    diagnosis = next(a for a in catalogue["attributes"] if a["name"] == "diagnosis")
    assert any(len(code["providers"]) < len(NAMES) for code in diagnosis["codes"]), "every code is held by every provider"
    status, _, body = http(url + "v1/members")
    assert status == 200 and len(json.loads(body)["members"]) == len(NAMES), f"GET /v1/members: {status} {body[:300]!r}"
    status, content_type, body = http(url + "v1/queries", {"sql": "SELECT COUNT(*) FROM cases GROUP BY modaliti"})
    problem = json.loads(body)
    assert status == 400 and content_type == "application/problem+json", f"bad query: {status} {content_type}"
    assert (problem["line"], problem["column"], problem["suggestion"]) == (1, 37, "modality"), problem


def check_browser(url, out, docs_screenshot):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,2000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    try:
        wait = WebDriverWait(driver, QUERY_SECONDS)
        driver.get(url)
        find = lambda testid: wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, f'[data-testid="{testid}"]')))

        def click(testid):
            # The catalogue tree is redrawn on every choice: find the button afresh.
            for _ in range(10):
                try:
                    find(testid).click()
                    return
                except StaleElementReferenceException:
                    time.sleep(0.2)
            raise AssertionError(f"{testid} could not be clicked")

        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, '[data-testid="group-modality"]')))
        click("group-diagnosis")
        wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, '[data-testid="groups"]'), "diagnosis"))
        click("group-modality")
        wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, '[data-testid="groups"]'), "modality"))
        sql = driver.find_element(By.CSS_SELECTOR, '[data-testid="sql"]').get_attribute("value")
        assert "GROUP BY diagnosis, modality" in sql, f"the built query is {sql!r}"
        click("run")
        wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, '[data-testid="result-status"]'), "Answered by"))
        # The stream has ended (done) when the run button is back.
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid="run"]').is_enabled())
        outcomes = [li.get_attribute("data-outcome") for li in driver.find_elements(By.CSS_SELECTOR, '[data-testid="providers"] li')]
        assert len(outcomes) == len(NAMES), f"the board lists {len(outcomes)} providers"
        assert outcomes.count("answered") >= 1, f"no provider answered: {outcomes}"
        assert all(o in ("answered", "pruned", "refused", "timed_out", "failed") for o in outcomes), f"outcomes left open: {outcomes}"
        suppressed = driver.find_elements(By.CSS_SELECTOR, '[data-testid="result"] td.suppressed')
        assert suppressed and all(cell.text.startswith("<") for cell in suppressed), "no withheld cell shown as <K"
        marker = suppressed[0].text
        assert driver.find_elements(By.CSS_SELECTOR, '[data-chart="heatmap"]'), "no heat map for a two-way grouping"
        click("copy-cli")
        command = driver.find_element(By.ID, "cli").text
        assert command.startswith("meshnode query --node 127.0.0.1:") and "GROUP BY diagnosis, modality" in command, command
        os.makedirs(out, exist_ok=True)
        screenshot = os.path.join(out, "console.png")
        driver.save_screenshot(screenshot)
        if docs_screenshot:
            shutil.copyfile(screenshot, docs_screenshot)
        # A typed query with a typo: the error points at it with the suggestion.
        box = driver.find_element(By.CSS_SELECTOR, '[data-testid="sql"]')
        box.clear()
        box.send_keys("SELECT COUNT(*) FROM cases GROUP BY modaliti")
        click("run")
        wait.until(EC.text_to_be_present_in_element((By.ID, "sql-error"), "did you mean"))
        print(f"   {len(suppressed)} withheld cells shown as {marker}; outcomes {sorted(set(outcomes))}; screenshot {screenshot}")
    finally:
        driver.quit()


def check_openapi(url, out):
    from openapi_spec_validator import validate
    from openapi_spec_validator.readers import read_from_filename
    status, _, body = http(url + "v1/openapi.yaml")
    assert status == 200, f"GET /v1/openapi.yaml: {status}"
    path = os.path.join(out, "openapi.yaml")
    os.makedirs(out, exist_ok=True)
    with open(path, "wb") as file:
        file.write(body)
    spec, _ = read_from_filename(path)
    validate(spec)


def check_schemathesis(url, out, examples):
    command = [sys.executable, "-m", "schemathesis.cli", "run", url + "v1/openapi.yaml", "--url", url.rstrip("/"),
               "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
               "--max-examples", str(examples)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=out)
    with open(os.path.join(out, "schemathesis.log"), "w") as log:
        log.write(result.stdout + result.stderr)
    assert result.returncode == 0, "schemathesis found problems:\n" + (result.stdout + result.stderr)[-3000:]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--meshnode", required=True)
    parser.add_argument("--out", default=".build/console-test")
    parser.add_argument("--base-port", type=int, default=7700)
    parser.add_argument("--docs-screenshot", help="also copy the screenshot here (docs/console.png)")
    parser.add_argument("--schemathesis-examples", type=int, default=20)
    arguments = parser.parse_args()
    out = os.path.abspath(arguments.out)
    os.makedirs(out, exist_ok=True)
    directory = tempfile.mkdtemp(prefix="oncomesh-console-")
    mesh = Mesh(os.path.abspath(arguments.meshnode), directory, arguments.base_port)
    passed, failed = 0, 0
    try:
        mesh.start()
        url = mesh.start_console()
        print(f"== console at {url} over {len(NAMES)} nodes in {directory}")
        checks = [
            ("API: catalogue, members, a bad query as problem+json", lambda: check_api(url)),
            ("page in headless Chromium: build by clicking, run, outcomes, <K, chart, copy", lambda: check_browser(url, out, arguments.docs_screenshot)),
            ("OpenAPI document valid (openapi-spec-validator)", lambda: check_openapi(url, out)),
            (f"schemathesis, {arguments.schemathesis_examples} examples per operation: no 5xx, no schema violation", lambda: check_schemathesis(url, out, arguments.schemathesis_examples)),
        ]
        for name, check in checks:
            try:
                check()
                passed += 1
                print(f"PASS {name}")
            except Exception as error:  # report every check, then fail
                failed += 1
                lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__) if frame.filename == __file__]
                print(f"FAIL {name}: {str(error).splitlines()[0] if str(error) else type(error).__name__} (line {lines[-1]})")
    except Exception as error:
        failed += 1
        print(f"FAIL starting the mesh and the console: {error}")
    finally:
        mesh.stop()
    print(f"console: {passed} passed, {failed} failed")
    if failed == 0:
        shutil.rmtree(directory, ignore_errors=True)
    else:
        print(f"node folders and logs kept in {directory}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
