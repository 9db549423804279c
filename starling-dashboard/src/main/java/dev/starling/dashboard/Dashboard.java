package dev.starling.dashboard;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.starling.report.HtmlReport;
import dev.starling.server.RoundListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * A read-only live dashboard of one run, served by the JDK's {@code com.sun.net.httpserver}: {@code /} is a
 * page (uPlot charts, progress, clients, failures, flagged clients, epsilon, ledger head), {@code /events} a
 * server-sent-events stream ({@code snapshot}, then {@code round-start}, {@code progress}, {@code round},
 * {@code ledger}, {@code finished}), {@code /state} the current view as JSON. Plug {@link #listener()} into
 * the run's listeners. Only GET is served. With a token every request must carry it ({@code Authorization:
 * Bearer TOKEN} or {@code ?token=TOKEN}; 401 without, 403 with a wrong one); without one (loopback only)
 * the {@code Host} header must name a loopback address, so a web page elsewhere cannot read the run
 * through DNS rebinding.
 */
public final class Dashboard implements AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final DashboardSettings settings;
  private final LiveRun run;
  private final HttpServer http;
  private final ExecutorService executor;
  private final String nonce;
  private final byte[] page;

  private Dashboard(DashboardSettings settings, LiveRun run, HttpServer http, ExecutorService executor, String nonce) {
    this.settings = settings;
    this.run = run;
    this.http = http;
    this.executor = executor;
    this.nonce = nonce;
    this.page = page(settings.title(), nonce).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Listens on {@code settings.host():settings.port()}.
   *
   * @param connected clients connected now (read for every event)
   * @param ledgerHead the ledger's last block, as shown on the page (read after every round when
   *     {@link DashboardSettings#ledger()})
   */
  public static Dashboard start(DashboardSettings settings, IntSupplier connected, Supplier<Optional<String>> ledgerHead) {
    LiveRun run = new LiveRun(settings, connected, ledgerHead);
    HttpServer http;
    try {
      http = HttpServer.create(new InetSocketAddress(settings.host(), settings.port()), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve the dashboard on " + settings.host() + ":" + settings.port() + ": "
          + e.getMessage(), e);
    }
    ExecutorService ex = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("starling-dashboard-", 0).factory());
    byte[] n = new byte[16];
    RANDOM.nextBytes(n);
    Dashboard d = new Dashboard(settings, run, http, ex, HexFormat.of().formatHex(n));
    http.createContext("/", d::handle);
    http.setExecutor(ex);
    http.start();
    return d;
  }

  /** A new random token of 32 hex digits (128 bits). */
  public static String newToken() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** The listener that feeds the page; add it to the run's listeners. */
  public RoundListener listener() {
    return run;
  }

  /** Tells open pages that the run is over and why. */
  public void finished(String reason) {
    run.finished(reason);
  }

  /** The bound port. */
  public int port() {
    return http.getAddress().getPort();
  }

  /** The page's address, with the token when there is one. */
  public String url() {
    String h = settings.host().contains(":") ? "[" + settings.host() + "]" : settings.host();
    return "http://" + h + ":" + port() + "/" + settings.token().map(t -> "?token=" + t).orElse("");
  }

  /** Event streams open now. */
  public int openStreams() {
    return run.streams();
  }

  @Override
  public void close() {
    run.endAll();
    // up to a second for the streams just told to end to finish their responses cleanly
    http.stop(1);
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      ex.getResponseHeaders().set("Cache-Control", "no-store");
      ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
      ex.getResponseHeaders().set("Referrer-Policy", "no-referrer");
      if (!"GET".equals(ex.getRequestMethod())) {
        ex.getResponseHeaders().set("Allow", "GET");
        send(ex, 405, "text/plain", "the dashboard is read-only: only GET\n");
        return;
      }
      Optional<String> refused = refusal(ex);
      if (refused.isPresent()) {
        int code = Integer.parseInt(refused.get().substring(0, 3));
        if (code == 401) {
          ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"starling dashboard\"");
        }
        send(ex, code, "text/plain", refused.get().substring(4) + "\n");
        return;
      }
      switch (ex.getRequestURI().getPath()) {
        case "/" -> {
          ex.getResponseHeaders().set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-" + nonce
              + "'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'");
          send(ex, 200, "text/html; charset=utf-8", page);
        }
        case "/state" -> send(ex, 200, "application/json", run.snapshot().toString().getBytes(StandardCharsets.UTF_8));
        case "/events" -> stream(ex);
        default -> send(ex, 404, "text/plain", "not found: " + ex.getRequestURI().getPath() + "\n");
      }
    }
  }

  /** Why this request is refused ("401 ..." or "403 ..."), or empty. */
  private Optional<String> refusal(HttpExchange ex) {
    if (settings.token().isEmpty()) {
      String host = ex.getRequestHeaders().getFirst("Host");
      String name = host == null ? "" : hostName(host);
      if (!(name.equals("localhost") || isLoopbackLiteral(name))) {
        return Optional.of("403 this dashboard answers only requests addressed to a loopback host, not " + host);
      }
      return Optional.empty();
    }
    String given = null;
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
      given = auth.substring(7).strip();
    } else {
      given = queryParam(ex.getRequestURI(), "token");
    }
    if (given == null || given.isEmpty()) {
      return Optional.of("401 this dashboard needs its token: ?token=TOKEN or Authorization: Bearer TOKEN");
    }
    if (!MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
        settings.token().get().getBytes(StandardCharsets.UTF_8))) {
      return Optional.of("403 wrong dashboard token");
    }
    return Optional.empty();
  }

  private static String hostName(String hostHeader) {
    String h = hostHeader.strip().toLowerCase(Locale.ROOT);
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      return end < 0 ? h : h.substring(1, end);
    }
    int colon = h.lastIndexOf(':');
    return colon < 0 ? h : h.substring(0, colon);
  }

  private static boolean isLoopbackLiteral(String name) {
    // literals only: resolving a name here would defeat the point of the check
    return name.equals("::1") || name.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
  }

  private static String queryParam(URI uri, String name) {
    String q = uri.getRawQuery();
    if (q == null) {
      return null;
    }
    for (String kv : q.split("&")) {
      int eq = kv.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
      if (k.equals(name)) {
        return eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  private void stream(HttpExchange ex) throws IOException {
    Optional<LiveRun.Subscriber> sub = run.subscribe();
    if (sub.isEmpty()) {
      send(ex, 503, "text/plain", "too many open dashboard streams (at most " + LiveRun.MAX_STREAMS + ")\n");
      return;
    }
    ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
    ex.sendResponseHeaders(200, 0);
    try (OutputStream out = ex.getResponseBody()) {
      out.write("retry: 2000\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      while (true) {
        String f = sub.get().frames.poll(15, TimeUnit.SECONDS);
        if (f == LiveRun.END) {
          return;
        }
        // a comment line every 15 s without events: finds closed connections, keeps proxies from timing out
        out.write((f == null ? ": keep-alive\n\n" : f).getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    } catch (IOException e) {
      // the page went away
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      run.unsubscribe(sub.get());
    }
  }

  private static void send(HttpExchange ex, int code, String type, String body) throws IOException {
    send(ex, code, type, body.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange ex, int code, String type, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(code, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private static String page(String title, String nonce) {
    HtmlReport.ChartLibrary uplot = HtmlReport.chartLibrary();
    String template = resource("dashboard.html", false);
    // the title last: nothing it contains is taken for a placeholder
    return template.replace("{{nonce}}", nonce)
        .replace("{{uplot.css}}", uplot.css()).replace("{{dashboard.css}}", resource("dashboard.css", false))
        .replace("{{uplot.js}}", uplot.script()).replace("{{dashboard.js}}", resource("dashboard.js", true))
        .replace("{{title}}", esc(title));
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  private static String resource(String name, boolean inlineScript) {
    try (InputStream in = Dashboard.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource dev/starling/dashboard/" + name + " (a broken build)");
      }
      String s = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return inlineScript ? s.replace("</script", "<\\/script") : s;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
