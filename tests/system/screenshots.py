"""
Headless Chromium for ``test_screenshots.py``: install it, drive it, and shoot the Airflow UI.

Debian's ``chromium`` and ``chromedriver`` are installed with apt when missing (no browser is
downloaded) and Selenium with pip, within the venv's pinned constraints. Selenium is imported inside
the functions: the rest of the system suite collects without it.
"""

from __future__ import annotations

import base64
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.system.suite_config import ROOT

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

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


def ensure_chromium() -> tuple[str, str]:
    """Return the paths of Debian's chromium and chromedriver, installing them with apt if missing."""
    wanted = {"chromium": "chromium", "chromedriver": "chromium-driver"}
    missing = [package for binary, package in wanted.items() if shutil.which(binary) is None]
    if missing:
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
            check=True,
            env=env,
        )
    chromium, chromedriver = (shutil.which(binary) for binary in wanted)
    if chromium is None or chromedriver is None:
        raise RuntimeError(f"chromium and chromedriver are still missing after apt-get install {missing}")
    return chromium, chromedriver


def ensure_selenium() -> None:
    """Install Selenium into this venv when missing, at the version ``constraints/airflow-3.3.txt`` pins."""
    try:
        import selenium  # noqa: F401
    except ImportError:
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
                "selenium",
            ],
            check=True,
        )
        importlib.invalidate_caches()


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


def shoot_connection_form(driver: WebDriver, api_url: str, target: Path) -> None:
    """
    Open Admin > Connections > Add Connection, choose Datalore, and shoot both sections of the form.

    The form opens one section at a time: "Standard Fields" and "Extra Fields" are shot one after the
    other and laid side by side in ``target``. Each ``find_element`` waits for what the shot must show
    (the Datalore labels, the extra field's title) and fails when it does not appear.

    :param driver: the browser.
    :param api_url: the Airflow API server's base URL, which serves the UI.
    :param target: the PNG file to write.
    """
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
    side_by_side(driver, [standard, extra], target)


def shoot_task_link(
    driver: WebDriver, api_url: str, dag_id: str, run_id: str, task_id: str, target: Path
) -> str:
    """
    Open a finished task's Details tab, where Airflow lists the extra links, and shoot the page.

    Waits for the "Datalore notebook" link and the "Success" state before the shot.

    :param driver: the browser.
    :param api_url: the Airflow API server's base URL, which serves the UI.
    :param dag_id: the task's DAG.
    :param run_id: the task's DAG run.
    :param task_id: the task.
    :param target: the PNG file to write.
    :return: the href of the "Datalore notebook" link, as the browser resolved it.
    """
    from selenium.webdriver.common.by import By

    driver.set_window_size(1280, 860)
    driver.get(f"{api_url}/dags/{dag_id}/runs/{run_id}/tasks/{task_id}/details")
    href = driver.find_element(By.LINK_TEXT, "Datalore notebook").get_attribute("href") or ""
    driver.find_element(By.XPATH, "//*[normalize-space()='Success']")
    settle()
    driver.save_screenshot(str(target))
    return href


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
