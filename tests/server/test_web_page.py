"""The writer's page in headless Chromium, against the real `langgraph dev` with the scripted model.

The page is driven as a person would: typing, clicking labels, keys. The scripted
writer quotes the plan and the short-term memory it was prompted with, so what
the page sent can be read back in the paragraph it gets. Screenshots of every
step go to ``$RECURRENTGPT_ARTIFACTS/web`` (CI keeps them), else to pytest's tmp dir.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server.devserver import AUTH_TOKENS, REPORT_LINES, DevServer
from tests.server.fake_graph import MODEL_DOWN, SLOW_MODEL

pytest.importorskip("selenium", reason="selenium not installed (pip install 'recurrentgpt[dev]')")

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
pytestmark = [
    pytest.mark.server,
    pytest.mark.browser,
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
        reason="headless Chromium absent: apt-get install chromium chromium-driver (CI does)",
    ),
]

LAPTOP = (1280, 900)
PHONE = (390, 844)
WAIT_SECONDS = 60
PREMISE = "A lighthouse keeper finds a brass key that opens nothing on the island."
MEMORY = "Arlo now distrusts the harbour master, who lied about the key."
WORDS_PER_PARAGRAPH = "40"
"""As in the other server tests: the scripted opening's paragraphs are short."""
OWN_PLAN = "Mira rings the bell at midnight and nobody answers."


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go: the CI artifacts folder if set, else a tmp dir."""
    root = os.environ.get("RECURRENTGPT_ARTIFACTS")
    folder = Path(root) / "web" if root else tmp_path_factory.mktemp("web-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser(screenshots: Path) -> Iterator[WebDriver]:
    """Headless Chromium from apt, one for the module (starting one takes seconds)."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        f"--window-size={LAPTOP[0]},{LAPTOP[1]}", "--lang=en-US",
    ):  # fmt: skip
        options.add_argument(argument)
    started = time.perf_counter()
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    REPORT_LINES.append(f"headless Chromium started in {time.perf_counter() - started:.1f} s")
    try:
        yield driver
    finally:
        driver.quit()
        REPORT_LINES.append(f"web page screenshots: {screenshots}")


class Page:
    """The writer's page in the browser, with waits that fail with what was on screen."""

    def __init__(self, driver: WebDriver, server: DevServer, screenshots: Path) -> None:
        self.driver = driver
        self.url = f"{server.url}/ui/"
        self.screenshots = screenshots

    def el(self, element_id: str) -> WebElement:
        return self.driver.find_element(By.ID, element_id)

    def wait(self, what: str, condition: Callable[[], Any]) -> Any:
        try:
            return WebDriverWait(self.driver, WAIT_SECONDS).until(lambda _: condition())
        except Exception as error:
            banner = self.driver.execute_script("return document.body.innerText")
            raise AssertionError(
                f"page never showed {what}; it showed:\n{banner[:3000]}"
            ) from error

    def shot(self, name: str) -> Path:
        path = self.screenshots / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def type(self, element_id: str, text: str) -> None:
        field = self.el(element_id)
        field.clear()
        field.send_keys(text)

    def text_of(self, element_id: str) -> str:
        """An element's text, shown or not."""
        return str(self.el(element_id).get_attribute("textContent"))

    def wait_for_pause(self, step: int) -> None:
        self.wait(
            f"the pause after step {step}",
            lambda: (
                self.el("pause").is_displayed()
                and self.el("progress").text.startswith(f"Step {step} ")
                and self.driver.execute_script("return !document.body.dataset.busy")
            ),
        )

    def start_novel(self, premise: str, steps: int, outage_seconds: str = "") -> None:
        """Fill the new-novel form; short paragraphs suit the scripted writer."""
        self.driver.get(self.url)
        self.wait("the new-novel form", lambda: self.el("premise").is_displayed())
        self.type("premise", premise)
        self.type("target-steps", str(steps))
        self.driver.find_element(By.CSS_SELECTOR, "#new-form summary").click()
        self.type("words-per-paragraph", WORDS_PER_PARAGRAPH)
        if outage_seconds:
            self.type("outage", outage_seconds)
        self.el("new-form").submit()

    def choose(self, radio_id: str) -> None:
        """Choose a plan by its label, as a person clicks the text."""
        self.driver.find_element(By.CSS_SELECTOR, f'label[for="{radio_id}"]').click()

    def fetch(self, url: str) -> str:
        """GET ``url`` from the page (same origin, as the browser downloads it)."""
        return str(
            self.driver.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "fetch(arguments[0]).then(r => r.text()).then(done, e => done('ERROR ' + e));",
                url,
            )
        )


@pytest.fixture
def page(browser: WebDriver, fake_server: DevServer, screenshots: Path) -> Page:
    browser.set_window_size(*LAPTOP)
    return Page(browser, fake_server, screenshots)


def test_a_novel_from_premise_to_export_rewound_and_reopened(page: Page) -> None:
    started = time.perf_counter()
    page.start_novel(PREMISE, steps=4)
    page.wait_for_pause(0)
    page.shot("01-opening-pause")
    assert page.driver.switch_to.active_element == page.el("pause-title")  # focus follows
    assert page.el("novel-title").text == "The Lighthouse"
    plans = [label.text for label in page.driver.find_elements(By.CSS_SELECTOR, "#plans label")]
    assert len(plans) == 3 and all(plans)

    # Edit the memory and choose plan 2: the next paragraph streams in, written from both.
    page.type("memory", MEMORY)
    page.choose("plan-2")
    assert page.el("plan-text").get_attribute("value") == plans[1].split(": ", 1)[1]
    page.el("write-next").click()
    page.wait_for_pause(1)
    paragraph = str(page.el("paragraph").get_attribute("value"))
    assert f"<{plans[1].split(': ', 1)[1]}>" in paragraph and f"<{MEMORY}>" in paragraph
    assert page.text_of("stream-text").strip() == paragraph  # it arrived as it was written
    assert int(page.el("stream-text").get_attribute("data-chunks") or 0) > 1
    page.shot("02-plan-2-with-edited-memory")

    # An own plan, typed after choosing "My own plan" with the keyboard.
    page.el("plan-own").send_keys(Keys.SPACE)
    page.type("plan-text", OWN_PLAN)
    page.el("write-next").click()
    page.wait_for_pause(2)
    own_paragraph = str(page.el("paragraph").get_attribute("value"))
    assert f"<{OWN_PLAN}>" in own_paragraph
    book = page.el("book-text").text
    assert "Chapter 1" in book and paragraph in book and own_paragraph in book
    page.shot("03-own-plan-and-book")

    # Rewind to step 1 from the picture of the history, by keyboard.
    page.wait(
        "the three steps",
        lambda: len(page.driver.find_elements(By.CSS_SELECTOR, "#tree .step")) == 3,
    )
    step_one = page.driver.find_element(By.CSS_SELECTOR, '#tree .step[data-step="1"]')
    page.driver.execute_script("arguments[0].focus()", step_one)
    page.driver.switch_to.active_element.send_keys(Keys.ENTER)
    assert page.el("rewind").text == "Rewind to step 1"
    page.el("rewind").click()
    page.wait_for_pause(1)
    assert page.el("paragraph").get_attribute("value") == paragraph
    page.wait(
        "the abandoned step 2 as a branch",
        lambda: len(page.driver.find_elements(By.CSS_SELECTOR, "#tree .step.abandoned")) == 1,
    )
    assert len(page.driver.find_elements(By.CSS_SELECTOR, "#tree .edge.abandoned")) == 1
    page.shot("04-rewound-with-a-branch")

    # The export is the current timeline: the rewound-away paragraph is not in it.
    Select(page.el("export-format")).select_by_value("md")
    exported = page.fetch(str(page.el("export-link").get_attribute("href")))
    assert exported.startswith("# The Lighthouse") and paragraph in exported
    assert own_paragraph not in exported
    epub = page.fetch(str(page.el("export-link").get_attribute("href")).replace("=md", "=epub"))
    assert not epub.startswith("ERROR") and "{" not in epub[:2]  # a file, not a JSON error

    # Reload the page, find the novel in the list, reopen it where it stands.
    thread_id = page.driver.current_url.split("#novel=")[1]
    page.driver.get(page.url)
    page.wait("the novel in the list", lambda: "The Lighthouse" in page.el("novel-list").text)
    page.driver.find_element(By.CSS_SELECTOR, "#novel-list button").click()
    page.wait_for_pause(1)
    assert page.driver.current_url.endswith(f"#novel={thread_id}")
    assert page.el("paragraph").get_attribute("value") == paragraph
    page.shot("05-reopened-after-reload")
    seconds = time.perf_counter() - started
    REPORT_LINES.append(f"web page flow (start, 2 steps, rewind, export, reopen): {seconds:.1f} s")


def test_the_page_fits_a_phone_and_keeps_the_novel_first(page: Page) -> None:
    page.start_novel(PREMISE, steps=2)
    page.wait_for_pause(0)
    page.driver.set_window_size(*PHONE)
    page.wait("the phone layout", lambda: page.driver.execute_script("return innerWidth") < 700)
    overflow = page.driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0  # nothing wider than the screen: the tree scrolls in its own box
    workspace_top = page.el("workspace").location["y"]
    novels_top = page.driver.find_element(By.CSS_SELECTOR, "aside.novels").location["y"]
    assert workspace_top < novels_top  # one column, the novel above the list
    page.shot("06-phone-pause")


def test_an_unreachable_model_is_a_banner_and_the_typed_plan_is_kept(page: Page) -> None:
    page.start_novel(PREMISE, steps=3, outage_seconds="0")
    page.wait_for_pause(0)
    plan = f"{MODEL_DOWN}: the lighthouse goes dark."
    page.choose("plan-own")
    page.type("plan-text", plan)
    page.el("write-next").click()
    page.wait("the error banner", lambda: page.el("banner").is_displayed())
    assert "unreachable" in page.el("banner-text").text or "down" in page.el("banner-text").text
    assert page.el("cut-short").is_displayed()
    assert page.driver.switch_to.active_element == page.el("cut-title")
    assert plan in page.el("notice").text  # what was typed is kept, ready to continue
    page.shot("07-model-unreachable")


def test_an_edited_paragraph_comes_back_with_fresh_plans_to_choose_from(page: Page) -> None:
    page.start_novel(PREMISE, steps=3)
    page.wait_for_pause(0)
    old_plans = page.el("plans").text
    edited = "Arlo buried the brass key under the third stair and told nobody where it lay."
    page.type("paragraph", edited)
    page.choose("plan-1")
    page.el("write-next").click()
    page.wait("the refreshed plans", lambda: page.el("plans").text != old_plans)
    page.wait_for_pause(0)  # no step was written: the person chooses from the new plans
    assert page.el("paragraph").get_attribute("value") == edited
    assert "refreshed" in page.el("notice").text
    page.shot("08-paragraph-edited")


def test_a_busy_novel_is_retried_with_a_notice_not_refused(page: Page) -> None:
    # A thread still busy (here: another run riding out a slow model; after a server
    # crash: the killed run until the server sweeps it) answers a new run with 409.
    from langgraph_sdk import get_sync_client

    page.start_novel(PREMISE, steps=4)
    page.wait_for_pause(0)
    thread_id = page.driver.current_url.split("#novel=")[1]
    client = get_sync_client(url=page.url.removesuffix("/ui/"))
    context = page.driver.execute_script("return page.context")
    client.runs.create(
        thread_id,
        "recurrentgpt",
        command={"resume": {"plan": f"{SLOW_MODEL}: the fog comes in."}},
        context=context,
    )
    page.choose("plan-1")
    page.el("write-next").click()
    page.wait("the recovery notice", lambda: "retrying in" in page.el("banner-text").text)
    page.shot("09-busy-novel-retried")
    page.wait_for_pause(2)  # the other run wrote step 1; this one, once let in, step 2
    assert not page.el("banner").is_displayed()


def test_on_a_server_with_users_the_page_signs_in_and_opens_only_own_novels(
    browser: WebDriver, auth_server: DevServer, screenshots: Path
) -> None:
    browser.set_window_size(*LAPTOP)
    page = Page(browser, auth_server, screenshots)
    page.driver.get(page.url)
    page.wait("the sign-in form", lambda: page.el("sign-in").is_displayed())
    assert "sign in" in page.el("banner-text").text
    page.type("token", AUTH_TOKENS["alice"])
    page.el("sign-in").submit()
    page.wait("signed in", lambda: page.el("signed-in").is_displayed())
    page.shot("10-signed-in")

    # The token stays in the tab: a reload keeps it, runs and JSON routes carry it.
    page.start_novel("Alice's keeper finds a key in the sign-in test.", steps=2)
    page.wait_for_pause(0)
    page.choose("plan-1")
    page.el("write-next").click()
    page.wait_for_pause(1)
    paragraph = str(page.el("paragraph").get_attribute("value"))
    page.wait("the book", lambda: paragraph in page.el("book-text").text)
    export = str(page.el("export-link").get_attribute("href"))
    assert paragraph in page.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {headers: signedInHeaders()}).then(r => r.text()).then(done);",
        export,
    )
    assert '"error"' in page.fetch(export)  # the same download without the token: refused
    thread_id = page.driver.current_url.split("#novel=")[1]

    # Bob signs in in the same tab: Alice's novel does not open for him.
    page.el("sign-out").click()
    page.type("token", AUTH_TOKENS["bob"])
    page.el("sign-in").submit()
    page.wait("signed in", lambda: page.el("signed-in").is_displayed())
    page.driver.get("about:blank")  # a new load of the page, not a jump within it
    page.driver.get(f"{page.url}#novel={thread_id}")
    page.wait("a refusal", lambda: page.el("banner").is_displayed())
    assert not page.el("novel").is_displayed()
    page.shot("11-another-users-novel")
