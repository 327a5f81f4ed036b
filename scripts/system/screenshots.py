"""
`make screenshots`: take the README's screenshots from the real Airflow UI with headless Chromium.

Starts the system suite's deployment (the emulator and Airflow 3 on loopback, see
``tests/system/deployment.py``), runs the scheduled-refresh example DAG to success, then drives Debian's
``chromium`` through ``chromedriver`` (both installed with apt when missing; no browser is downloaded)
and writes:

- ``docs/images/datalore-connection-form.png``: the Add Connection form with type Datalore, its
  "Standard Fields" and its "Extra Fields" sections side by side (the form opens one at a time);
- ``docs/images/datalore-task-link.png``: the finished task with its "Datalore notebook" extra link.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.system.deployment import AirflowDeployment  # noqa: E402
from tests.system.suite_config import DAG_FILES, DAG_IDS, EMULATOR_CONFIG, TOKEN  # noqa: E402

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

IMAGES = ROOT / "docs" / "images"
SELENIUM = "selenium==4.51.0"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--window-size=1280,900",
]
DAG_ID = "datalore_scheduled_refresh"
TASK_ID = "refresh_sales_report"


def main() -> int:
    chromium, chromedriver = ensure_chromium()
    ensure_selenium()
    IMAGES.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="datalore-screenshots-"))
    deployment = AirflowDeployment(workdir, DAG_FILES, EMULATOR_CONFIG, TOKEN)
    try:
        say("Starting the emulator and Airflow (api-server, scheduler, dag-processor, triggerer)")
        deployment.start()
        deployment.wait_for_dags(DAG_IDS)
        say(f"Running {DAG_ID}")
        run_id = deployment.trigger_dag(DAG_ID, logical_date="2026-11-02T06:00:00Z")["dag_run_id"]
        if deployment.wait_for_dag_run(DAG_ID, run_id)["state"] != "success":
            raise SystemExit(f"{DAG_ID} did not succeed:\n{deployment.report()}")
        say(f"Taking screenshots of the UI at {deployment.api_url}")
        with browser(chromium, chromedriver) as driver:
            shoot_connection_form(driver, deployment.api_url)
            shoot_task_link(driver, deployment.api_url, run_id)
    except BaseException:
        print(deployment.report(), file=sys.stderr)
        raise
    finally:
        deployment.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    for name in ("datalore-connection-form.png", "datalore-task-link.png"):
        print(f"  wrote {(IMAGES / name).relative_to(ROOT)}")
    return 0


def ensure_chromium() -> tuple[str, str]:
    """Return the paths of Debian's chromium and chromedriver, installing them with apt if missing."""
    wanted = {"chromium": "chromium", "chromedriver": "chromium-driver"}
    missing = [package for binary, package in wanted.items() if shutil.which(binary) is None]
    if missing:
        say(f"Installing {' '.join(missing)} with apt")
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
            check=True,
            env=env,
        )
    paths = [shutil.which(binary) for binary in wanted]
    if None in paths:
        raise SystemExit("chromium and chromedriver are still missing after apt-get install")
    return str(paths[0]), str(paths[1])


def ensure_selenium() -> None:
    """Install Selenium into this venv when missing, within the venv's pinned constraints."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        say(f"Installing {SELENIUM} into {sys.prefix}")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-c",
                str(ROOT / "constraints" / "airflow-3.3.txt"),
                SELENIUM,
            ],
            check=True,
        )


class browser:
    """A headless Chromium driven by chromedriver, with a throw-away profile; a context manager."""

    def __init__(self, chromium: str, chromedriver: str) -> None:
        self.chromium = chromium
        self.chromedriver = chromedriver
        self.profile = tempfile.mkdtemp(prefix="datalore-chromium-")

    def __enter__(self) -> WebDriver:
        os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not look for drivers online
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = self.chromium
        for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={self.profile}"]:
            options.add_argument(flag)
        self.driver = webdriver.Chrome(options=options, service=Service(self.chromedriver))
        self.driver.implicitly_wait(20)
        return self.driver

    def __exit__(self, *exc: Any) -> None:
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)


def shoot_connection_form(driver: WebDriver, api_url: str) -> None:
    """Open Admin > Connections > Add Connection, choose Datalore, and shoot both sections of the form."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.set_window_size(1280, 1200)  # room for the whole dialog
    driver.get(f"{api_url}/connections")
    driver.find_element(By.XPATH, "//button[contains(., 'Add Connection')]").click()
    dialog = driver.find_element(By.CSS_SELECTOR, "[role=dialog]")
    dialog.find_element(By.NAME, "connection_id").send_keys("datalore_default")
    connection_type = dialog.find_element(By.CSS_SELECTOR, "input[role=combobox]")
    connection_type.send_keys("Datalore")
    driver.find_element(By.XPATH, "//*[@role='option' and normalize-space()='Datalore']")
    connection_type.send_keys(Keys.ENTER)
    host = dialog.find_element(By.XPATH, ".//label[normalize-space()='Datalore URL']/following::input[1]")
    host.send_keys("https://datalore.example.com")
    dialog.find_element(By.XPATH, ".//label[normalize-space()='API token']")
    dialog.find_element(By.XPATH, ".//h2[normalize-space()='Add Connection']").click()  # no focus ring
    settle()
    standard = dialog.screenshot_as_png
    dialog.find_element(By.XPATH, ".//button[normalize-space()='Extra Fields']").click()
    dialog.find_element(By.XPATH, ".//*[normalize-space()='Request timeout (seconds)']")
    settle()
    extra = dialog.screenshot_as_png
    side_by_side(driver, [standard, extra], IMAGES / "datalore-connection-form.png")


def shoot_task_link(driver: WebDriver, api_url: str, run_id: str) -> None:
    """Open the finished task's Details tab, where Airflow lists the extra links, and shoot the page."""
    from selenium.webdriver.common.by import By

    driver.set_window_size(1280, 860)
    driver.get(f"{api_url}/dags/{DAG_ID}/runs/{run_id}/tasks/{TASK_ID}/details")
    link = driver.find_element(By.LINK_TEXT, "Datalore notebook")
    if "/notebook/demo/sales-report" not in (link.get_attribute("href") or ""):
        raise SystemExit(f"the Datalore notebook link points to {link.get_attribute('href')!r}")
    driver.find_element(By.XPATH, "//*[normalize-space()='Success']")
    settle()
    driver.save_screenshot(str(IMAGES / "datalore-task-link.png"))


def side_by_side(driver: WebDriver, images: list[bytes], target: Path) -> None:
    """Lay PNGs out side by side on a page of their own and shoot it (no imaging library needed)."""
    from selenium.webdriver.common.by import By

    cells = "".join(
        f'<img src="data:image/png;base64,{base64.b64encode(image).decode()}">' for image in images
    )
    page = Path(tempfile.mkdtemp(prefix="datalore-shot-")) / "side-by-side.html"
    page.write_text(
        "<!doctype html><html><body style='margin:0;background:#e2e8f0'>"
        "<div id='row' style='display:inline-flex;gap:16px;padding:16px;align-items:flex-start'>"
        f"{cells}</div></body></html>"
    )
    try:
        driver.set_window_size(2000, 1200)
        driver.get(page.as_uri())
        driver.find_element(By.ID, "row").screenshot(str(target))
    finally:
        shutil.rmtree(page.parent, ignore_errors=True)


def settle() -> None:
    """Let animations (the dialog opening, an accordion expanding) finish before a shot."""
    time.sleep(1.5)


def say(text: str) -> None:
    print(f"==> {text}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
