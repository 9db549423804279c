package dev.starling.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard page in a real headless browser: Debian's chromium driven through chromedriver by
 * Selenium. Rounds are fed to the dashboard's listener by the test, and every step waits for a DOM
 * condition ({@link WebDriverWait}), never for time. Without chromium the test is skipped, except in CI
 * ({@code CI=true}), where {@code .ci/run} installs it and a missing browser is a failure.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DashboardBrowserTest {
  private static final String TOKEN = "browser-test-token-0123456789";
  private static final Duration WAIT = Duration.ofSeconds(30);
  // Selenium warns once that it has no DevTools binding for this chromium's version; WebDriver needs none
  private static final java.util.logging.Logger CDP = java.util.logging.Logger.getLogger("org.openqa.selenium.devtools");

  static {
    CDP.setLevel(java.util.logging.Level.SEVERE);
  }

  @TempDir
  Path profile;

  private WebDriver browser;

  static String chromium() {
    return System.getProperty("starling.chromium", "/usr/bin/chromium");
  }

  static String chromedriver() {
    return System.getProperty("starling.chromedriver", "/usr/bin/chromedriver");
  }

  @BeforeEach
  void startBrowser() {
    boolean present = Files.isExecutable(Path.of(chromium())) && Files.isExecutable(Path.of(chromedriver()));
    String why = "needs Debian's chromium and chromium-driver (" + chromium() + ", " + chromedriver()
        + "; apt-get install -y chromium chromium-driver)";
    if ("true".equals(System.getenv("CI"))) {
      assertThat(present).as("CI=true: the browser test must run, but it " + why).isTrue();
    } else {
      Assumptions.assumeTrue(present, "skipped: the browser test " + why);
    }
    ChromeOptions o = new ChromeOptions();
    o.setBinary(chromium());
    // the flags a closed network and a root user need: no sandbox, no background traffic to Google's hosts
    o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1280,1400", "--user-data-dir=" + profile.toAbsolutePath());
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(chromedriver()))
        .usingAnyFreePort().build();
    browser = new ChromeDriver(service, o);
  }

  @AfterEach
  void stopBrowser() {
    if (browser != null) {
      browser.quit();
    }
  }

  private WebElement waitFor(String what, org.openqa.selenium.support.ui.ExpectedCondition<?> cond, By by) {
    new WebDriverWait(browser, WAIT).withMessage(what).until(cond);
    return browser.findElement(by);
  }

  private void waitForText(String id, String text) {
    waitFor("#" + id + " to read " + text, ExpectedConditions.textToBe(By.id(id), text), By.id(id));
  }

  private void waitForPoints(String chart, int points) {
    waitFor(chart + " to hold " + points + " points",
        ExpectedConditions.attributeToBe(By.id(chart), "data-points", Integer.toString(points)), By.id(chart));
  }

  @Test
  void pageLoadsShowsTheRunAndItsChartGainsAPointWhenARoundEnds() {
    AtomicInteger connected = new AtomicInteger(3);
    AtomicInteger blocks = new AtomicInteger();
    DashboardSettings s = DashboardSettings.loopback(0, "browser run", 10).withToken(TOKEN).withTargetEpsilon(8).withLedger();
    try (Dashboard d = Dashboard.start(s, connected::get,
        () -> blocks.get() == 0 ? Optional.empty() : Optional.of("#" + blocks.get() + " ab12cd"))) {
      Rounds.full(d.listener(), 1);
      blocks.set(1);

      browser.get(d.url()); // the token rides in the address, and the page passes it to its event stream
      waitForText("run-title", "browser run");
      waitForText("rounds-done", "1");
      waitForPoints("chart-loss", 1);
      assertThat(browser.getTitle()).isEqualTo("browser run - Starling live");
      assertThat(browser.findElements(By.cssSelector("#chart-loss canvas"))).isNotEmpty(); // uPlot drew it
      waitForText("link", "live");

      // round 2 starts: progress and client counts follow the listener without a page reload
      connected.set(5);
      Rounds.start(d.listener(), 2);
      waitForText("current-round", "2");
      waitForText("connected", "5");
      Rounds.clients(d.listener(), 2);
      waitForText("round-done", "3");
      waitForText("round-failed", "1");
      assertThat(browser.findElement(By.id("chart-loss")).getAttribute("data-points")).isEqualTo("1");

      // the round ends: every chart gains its point
      d.listener().onRoundEnd(Rounds.record(2));
      blocks.set(2);
      d.listener().onRoundCommitted(2, null, null);
      for (String chart : List.of("chart-loss", "chart-accuracy", "chart-bytes", "chart-clients", "chart-epsilon")) {
        waitForPoints(chart, 2);
      }
      waitForText("rounds-done", "2");
      waitForText("ledger-head", "#2 ab12cd");
      assertThat(browser.findElement(By.id("accuracy")).getText()).isEqualTo("0.7");
      assertThat(browser.findElement(By.id("epsilon")).getText()).isEqualTo("\u03b5 1");
      assertThat(browser.findElement(By.id("epsilon-note")).getText()).startsWith("of a target of 8");
      // failures with their reasons (as text, not markup), newest first; the flagged client with its count
      List<WebElement> failures = browser.findElements(By.cssSelector("#failures tbody tr"));
      assertThat(failures).hasSize(2);
      assertThat(failures.get(0).getText()).contains("UNAVAILABLE").contains("client 2 went away <b>");
      assertThat(browser.findElement(By.cssSelector("#flagged tbody tr")).getText()).contains("2").contains("REJECTED")
          .contains("krum");

      d.finished("round budget of 2 reached");
      waitForText("status", "finished: round budget of 2 reached");
      String shot = System.getProperty("starling.dashboard.screenshot");
      if (shot != null) { // -Dstarling.dashboard.screenshot=FILE.png keeps a picture of the page (for a look, not a check)
        byte[] png = ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(org.openqa.selenium.OutputType.BYTES);
        try {
          Files.write(Path.of(shot), png);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
    }
  }
}
