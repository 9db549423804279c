package dev.starling.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The dashboard over plain HTTP: the event stream, the snapshot, tokens, the loopback Host check, bounds. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DashboardHttpTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "0123456789abcdef0123";
  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> get(String url, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** One server-sent event: its name and its data as JSON. */
  private record Event(String name, JsonNode data) {}

  /** Reads {@code /events} on a thread into a queue of events (the stream never ends by itself). */
  private BlockingQueue<Event> subscribe(String url) throws Exception {
    HttpResponse<Stream<String>> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(),
        HttpResponse.BodyHandlers.ofLines());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
    BlockingQueue<Event> q = new LinkedBlockingQueue<>();
    Thread t = new Thread(() -> {
      String[] name = {null};
      try (Stream<String> lines = r.body()) {
        lines.forEach(line -> {
        if (line.startsWith("event: ")) {
          name[0] = line.substring(7);
        } else if (line.startsWith("data: ")) {
          try {
            q.add(new Event(name[0], JSON.readTree(line.substring(6))));
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }
        });
      } catch (java.io.UncheckedIOException e) {
        // the dashboard closed: the test is over
      }
    });
    t.setDaemon(true);
    t.start();
    return q;
  }

  private static Event next(BlockingQueue<Event> q) throws InterruptedException {
    Event e = q.poll(10, TimeUnit.SECONDS);
    assertThat(e).as("an event within 10 s").isNotNull();
    return e;
  }

  /** The next event named {@code name}, skipping progress events. */
  private static Event nextNamed(BlockingQueue<Event> q, String name) throws InterruptedException {
    Event e = next(q);
    while (e.name().equals("progress")) {
      e = next(q);
    }
    assertThat(e.name()).isEqualTo(name);
    return e;
  }

  @Test
  void eventStream_snapshotThenOneRoundEventPerRound() throws Exception {
    AtomicInteger connected = new AtomicInteger(4);
    DashboardSettings s = DashboardSettings.loopback(0, "test run", 5).withTargetEpsilon(3).withLedger();
    AtomicInteger blocks = new AtomicInteger();
    try (Dashboard d = Dashboard.start(s, connected::get,
        () -> blocks.get() == 0 ? Optional.empty() : Optional.of("block " + blocks.get()))) {
      Rounds.full(d.listener(), 1); // before anyone watches: the snapshot carries it
      blocks.set(1);
      BlockingQueue<Event> q = subscribe(d.url() + "events");
      Event snap = nextNamed(q, "snapshot");
      assertThat(snap.data().get("title").asText()).isEqualTo("test run");
      assertThat(snap.data().get("round_budget").asInt()).isEqualTo(5);
      assertThat(snap.data().get("target_epsilon").asDouble()).isEqualTo(3.0);
      assertThat(snap.data().get("rounds")).hasSize(1);
      assertThat(snap.data().get("connected").asInt()).isEqualTo(4);

      for (int r = 2; r <= 3; r++) {
        connected.set(r);
        Rounds.start(d.listener(), r);
        Event start = nextNamed(q, "round-start");
        assertThat(start.data().get("current").get("round").asInt()).isEqualTo(r);
        assertThat(start.data().get("current").get("selected").asInt()).isEqualTo(3);
        Rounds.clients(d.listener(), r);
        d.listener().onRoundEnd(Rounds.record(r));
        blocks.set(r); // the ledger recorder appends its block in onRoundCommitted
        d.listener().onRoundCommitted(r, null, null);
        Event round = nextNamed(q, "round");
        JsonNode row = round.data().get("row");
        assertThat(row.get("round").asInt()).isEqualTo(r);
        assertThat(row.get("test_accuracy").asDouble()).isEqualTo(0.5 + 0.1 * r);
        assertThat(row.get("clients_failed").asInt()).isEqualTo(1);
        assertThat(row.get("bytes_up").asLong()).isEqualTo(1000L * r);
        assertThat(round.data().get("connected").asInt()).isEqualTo(r);
        assertThat(round.data().get("failures").get(0).get("reason").asText()).isEqualTo("client " + r + " went away <b>");
        assertThat(round.data().get("flagged").get(0).get("count").asInt()).isEqualTo(r);
        assertThat(round.data().get("ledger_head").asText()).isEqualTo("block " + (r - 1));
        // the ledger appends in onRoundCommitted, after the round event: a ledger event follows
        assertThat(nextNamed(q, "ledger").data().get("ledger_head").asText()).isEqualTo("block " + r);
      }
      d.finished("round budget of 3 reached");
      assertThat(nextNamed(q, "finished").data().get("status").asText()).isEqualTo("finished: round budget of 3 reached");

      JsonNode state = JSON.readTree(get(d.url() + "state").body());
      assertThat(state.get("rounds")).extracting(n -> n.get("round").asInt()).containsExactly(1, 2, 3);
      assertThat(state.get("failure_counts").get("UNAVAILABLE").asInt()).isEqualTo(3);
      assertThat(state.get("ledger_head").asText()).isEqualTo("block 3");
    }
  }

  @Test
  void progress_atMostTwentyEventsPerRoundAndTheLastClientAlways() throws Exception {
    try (Dashboard d = Dashboard.start(DashboardSettings.loopback(0, "t", 0), () -> 0, Optional::empty)) {
      BlockingQueue<Event> q = subscribe(d.url() + "events");
      nextNamed(q, "snapshot");
      d.listener().onRoundStart(1, 1000);
      nextNamed(q, "round-start");
      for (int i = 0; i < 1000; i++) {
        d.listener().onClientDone(1, dev.starling.core.message.ClientId.ofIndex(i), true);
      }
      d.finished("done");
      int progress = 0;
      Event e;
      while (!(e = next(q)).name().equals("finished")) {
        assertThat(e.name()).isEqualTo("progress");
        progress++;
        if (progress == 20) {
          assertThat(e.data().get("current").get("done").asInt()).isEqualTo(1000);
        }
      }
      assertThat(progress).isEqualTo(20);
    }
  }

  @Test
  void token_requiredWhenBoundElsewhere_401Without403Wrong200Right() throws Exception {
    assertThatThrownBy(() -> new DashboardSettings("0.0.0.0", 0, Optional.empty(), "t", 0, OptionalDouble.empty(), false))
        .hasMessageContaining("0.0.0.0").hasMessageContaining("needs a token");
    assertThatThrownBy(() -> new DashboardSettings("0.0.0.0", 0, Optional.of("short"), "t", 0, OptionalDouble.empty(), false))
        .hasMessageContaining("at least 16 characters");
    DashboardSettings s = new DashboardSettings("0.0.0.0", 0, Optional.of(TOKEN), "t", 0, OptionalDouble.empty(), false);
    try (Dashboard d = Dashboard.start(s, () -> 0, Optional::empty)) {
      String base = "http://127.0.0.1:" + d.port();
      assertThat(d.url()).endsWith("/?token=" + TOKEN);
      for (String path : new String[] {"/", "/state", "/events"}) {
        HttpResponse<String> none = get(base + path);
        assertThat(none.statusCode()).as(path).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).isPresent();
        assertThat(get(base + path + "?token=" + TOKEN + "x").statusCode()).as(path).isEqualTo(403);
        assertThat(get(base + path, "Authorization", "Bearer wrong-token-wrong-token").statusCode()).as(path).isEqualTo(403);
      }
      HttpResponse<String> page = get(base + "/?token=" + TOKEN);
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).contains("uPlot").contains("id=\"chart-loss\"");
      assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(v -> assertThat(v).contains("nonce-"));
      assertThat(get(base + "/state", "Authorization", "Bearer " + TOKEN).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void readOnly_andLoopbackWithoutTokenAnswersOnlyLoopbackHostNames() throws Exception {
    try (Dashboard d = Dashboard.start(DashboardSettings.loopback(0, "t", 0), () -> 0, Optional::empty)) {
      HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(d.url() + "state"))
          .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(405);
      assertThat(get(d.url() + "nothing").statusCode()).isEqualTo(404);
      assertThat(rawStatus(d.port(), "localhost:" + d.port())).isEqualTo(200);
      assertThat(rawStatus(d.port(), "127.0.0.1:" + d.port())).isEqualTo(200);
      // a page elsewhere whose name was rebound to 127.0.0.1 sends its own name
      assertThat(rawStatus(d.port(), "attacker.example:" + d.port())).isEqualTo(403);
    }
  }

  /** The status of {@code GET /state} sent with this Host header (HttpClient will not set Host). */
  private static int rawStatus(int port, String host) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      OutputStream out = s.getOutputStream();
      out.write(("GET /state HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String status = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
      return Integer.parseInt(status.split(" ")[1]);
    }
  }

  @Test
  void aSubscriberThatFallsBehindIsDroppedNotBuffered() {
    LiveRun run = new LiveRun(DashboardSettings.loopback(0, "t", 0), () -> 0, Optional::empty);
    LiveRun.Subscriber slow = run.subscribe().orElseThrow();
    for (int r = 1; r <= LiveRun.QUEUE; r++) {
      Rounds.full(run, r);
    }
    assertThat(run.streams()).isZero();
    assertThat(slow.frames).hasSize(1);
    assertThat(slow.frames.peek()).isSameAs(LiveRun.END);
  }

  @Test
  void closingEndsAStreamAfterTheEventsAlreadyQueued() {
    LiveRun run = new LiveRun(DashboardSettings.loopback(0, "t", 0), () -> 0, Optional::empty);
    LiveRun.Subscriber page = run.subscribe().orElseThrow();
    run.finished("round budget of 2 reached");
    run.endAll(); // the dashboard closes before the stream's thread wrote the last event
    assertThat(run.streams()).isZero();
    assertThat(page.frames).hasSize(3);
    assertThat(page.frames.poll()).startsWith("event: snapshot");
    assertThat(page.frames.poll()).startsWith("event: finished");
    assertThat(page.frames.poll()).isSameAs(LiveRun.END);
  }

  @Test
  void atMostMaxStreamsAreOpen() {
    LiveRun run = new LiveRun(DashboardSettings.loopback(0, "t", 0), () -> 0, Optional::empty);
    for (int i = 0; i < LiveRun.MAX_STREAMS; i++) {
      assertThat(run.subscribe()).isPresent();
    }
    assertThat(run.subscribe()).isEmpty();
  }

  @Test
  void progress_aRetriedRoundCountsAfreshAndAsynchronousArrivalsCountForTheirAggregation() {
    LiveRun run = new LiveRun(DashboardSettings.loopback(0, "t", 0), () -> 0, Optional::empty);
    Rounds.start(run, 1);
    Rounds.clients(run, 1);
    assertThat(run.snapshot().get("current").get("done").asInt()).isEqualTo(3);
    Rounds.start(run, 1); // the round fell short of its quorum and runs again
    assertThat(run.snapshot().get("current").get("done").asInt()).isZero();
    Rounds.end(run, 1);
    // an asynchronous driver: arrivals for aggregation 2 come before it starts
    Rounds.clients(run, 2);
    run.onRoundStart(2, 3);
    JsonNode c = run.snapshot().get("current");
    assertThat(c.get("round").asInt()).isEqualTo(2);
    assertThat(c.get("done").asInt()).isEqualTo(3);
    assertThat(c.get("failed").asInt()).isEqualTo(1);
  }

  @Test
  void historyIsBounded() {
    LiveRun run = new LiveRun(DashboardSettings.loopback(0, "t", 0), () -> 0, Optional::empty);
    for (int r = 1; r <= LiveRun.MAX_ROUNDS + 5; r++) {
      run.onRoundEnd(Rounds.record(r));
    }
    JsonNode s = run.snapshot();
    assertThat(s.get("rounds")).hasSize(LiveRun.MAX_ROUNDS);
    assertThat(s.get("rounds").get(0).get("round").asInt()).isEqualTo(6);
    assertThat(s.get("failures")).hasSize(LiveRun.MAX_FAILURES);
  }
}
