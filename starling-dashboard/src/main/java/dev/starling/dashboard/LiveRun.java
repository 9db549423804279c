package dev.starling.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.server.History;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundRecord;
import dev.starling.strategy.ClientVerdict;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The dashboard's view of a run and its event stream: a {@link RoundListener} that keeps a bounded
 * summary (the last {@value #MAX_ROUNDS} rounds, the last {@value #MAX_FAILURES} client failures, flag
 * counts of at most {@value #MAX_FLAGGED_CLIENTS} clients) and turns every change into a server-sent
 * event for each subscriber. A subscriber first gets a {@code snapshot} of the whole view, then every
 * later event, in order: both happen under this object's lock, so none is missed or seen twice. A
 * subscriber that falls {@value #QUEUE} events behind is dropped (its browser reconnects and gets a new
 * snapshot), so a stalled page never holds memory. Thread-safe.
 */
final class LiveRun implements RoundListener {
  static final int MAX_ROUNDS = 10_000;
  static final int MAX_FAILURES = 200;
  static final int MAX_FLAGGED_CLIENTS = 10_000;
  static final int TOP_FLAGGED = 20;
  static final int QUEUE = 256;
  static final int MAX_STREAMS = 32;
  /** Progress events per round at most (besides the last client's). */
  static final int PROGRESS_STEPS = 20;

  /** A frame that ends a stream. */
  static final String END = new String("end of stream");

  private final ObjectMapper json = new ObjectMapper();
  private final DashboardSettings settings;
  private final IntSupplier connected;
  private final Supplier<Optional<String>> ledgerHead;

  private final Deque<ObjectNode> rounds = new ArrayDeque<>();
  private final Deque<ObjectNode> failures = new ArrayDeque<>();
  private final Map<String, Long> failureCounts = new TreeMap<>();
  private final Map<String, Flag> flagged = new HashMap<>();
  private long flaggedOther;
  private int round;
  private int selected;
  private int done;
  private int succeeded;
  private int failed;
  private String status = "waiting for round 1";
  private String ledger;
  private final Set<Subscriber> subscribers = new LinkedHashSet<>();

  private static final class Flag {
    long count;
    String action;
    String rule;
    int round;
  }

  /** One open event stream. */
  static final class Subscriber {
    final BlockingQueue<String> frames = new ArrayBlockingQueue<>(QUEUE + 1);
  }

  LiveRun(DashboardSettings settings, IntSupplier connected, Supplier<Optional<String>> ledgerHead) {
    this.settings = settings;
    this.connected = connected;
    this.ledgerHead = ledgerHead;
  }

  /** A new stream starting with a snapshot, or empty when {@value #MAX_STREAMS} are open already. */
  synchronized Optional<Subscriber> subscribe() {
    if (subscribers.size() >= MAX_STREAMS) {
      return Optional.empty();
    }
    Subscriber s = new Subscriber();
    s.frames.add(frame("snapshot", snapshot()));
    subscribers.add(s);
    return Optional.of(s);
  }

  synchronized void unsubscribe(Subscriber s) {
    subscribers.remove(s);
  }

  synchronized int streams() {
    return subscribers.size();
  }

  /**
   * Ends every stream (the dashboard is closing) after the events already queued for it, so a {@code finished}
   * published just before closing still reaches the page (a queue holds at most {@value #QUEUE} events, and
   * has room for the end beside them).
   */
  synchronized void endAll() {
    for (Subscriber s : subscribers) {
      s.frames.add(END);
    }
    subscribers.clear();
  }

  /** The whole view as JSON (what {@code /state} serves and a stream starts with). */
  synchronized ObjectNode snapshot() {
    ObjectNode o = json.createObjectNode();
    o.put("title", settings.title());
    o.put("round_budget", settings.roundBudget());
    if (settings.targetEpsilon().isPresent()) {
      o.put("target_epsilon", settings.targetEpsilon().getAsDouble());
    } else {
      o.putNull("target_epsilon");
    }
    o.put("ledger_on", settings.ledger());
    o.put("status", status);
    o.put("connected", connected.getAsInt());
    o.set("current", current());
    ArrayNode rs = o.putArray("rounds");
    rounds.forEach(rs::add);
    putClientTables(o);
    putLedger(o, false);
    return o;
  }

  @Override
  public synchronized void onRoundStart(int r, int clientsSelected) {
    // a new round, or a retry of this one, counts afresh; an asynchronous aggregation keeps the arrivals
    // reported for it before it started (they came with selected = 0)
    if (r != round || selected > 0) {
      done = 0;
      succeeded = 0;
      failed = 0;
    }
    round = r;
    selected = clientsSelected;
    status = "running";
    ObjectNode e = json.createObjectNode();
    e.set("current", current());
    e.put("connected", connected.getAsInt());
    e.put("status", status);
    publish("round-start", e);
  }

  @Override
  public synchronized void onClientDone(int r, ClientId client, boolean success) {
    if (r != round) {
      // an asynchronous driver reports arrivals before the aggregation they land in starts
      round = r;
      selected = 0;
      done = 0;
      succeeded = 0;
      failed = 0;
    }
    done++;
    if (success) {
      succeeded++;
    } else {
      failed++;
    }
    int steps = selected == 0 ? 1 : Math.max(1, selected);
    boolean step = selected == 0 || done >= selected
        || (long) done * PROGRESS_STEPS / steps != (long) (done - 1) * PROGRESS_STEPS / steps;
    if (step) {
      ObjectNode e = json.createObjectNode();
      e.set("current", current());
      publish("progress", e);
    }
  }

  @Override
  public synchronized void onRoundEnd(RoundRecord rec) {
    ObjectNode row = row(rec);
    rounds.addLast(row);
    while (rounds.size() > MAX_ROUNDS) {
      rounds.removeFirst();
    }
    for (ClientFailure f : rec.failures()) {
      ObjectNode fo = json.createObjectNode();
      fo.put("round", rec.round()).put("client", f.client().value()).put("code", f.code().name()).put("reason", f.reason());
      failures.addLast(fo);
      failureCounts.merge(f.code().name(), 1L, Long::sum);
    }
    while (failures.size() > MAX_FAILURES) {
      failures.removeFirst();
    }
    for (ClientVerdict v : rec.verdicts()) {
      Flag fl = flagged.get(v.client().value());
      if (fl == null) {
        if (flagged.size() >= MAX_FLAGGED_CLIENTS) {
          flaggedOther++;
          continue;
        }
        fl = new Flag();
        flagged.put(v.client().value(), fl);
      }
      fl.count++;
      fl.action = v.action().name();
      fl.rule = v.rule();
      fl.round = rec.round();
    }
    round = rec.round();
    selected = rec.clientsSelected();
    succeeded = rec.clientsSucceeded();
    failed = rec.failures().size();
    done = Math.max(done, succeeded + failed);
    status = rec.committed() ? "running" : "running (round " + rec.round() + " kept the previous model)";
    ObjectNode e = json.createObjectNode();
    e.set("row", row);
    e.set("current", current());
    e.put("connected", connected.getAsInt());
    e.put("status", status);
    putClientTables(e);
    putLedger(e, true);
    publish("round", e);
  }

  @Override
  public synchronized void onRoundCommitted(int r, ParameterSet global, History history) {
    String before = ledger;
    ObjectNode e = json.createObjectNode();
    putLedger(e, true);
    if (ledger != null && !ledger.equals(before)) {
      publish("ledger", e);
    }
  }

  /** The run is over: {@code reason} says why. */
  synchronized void finished(String reason) {
    status = "finished: " + reason;
    ObjectNode e = json.createObjectNode();
    e.put("status", status);
    e.put("connected", connected.getAsInt());
    publish("finished", e);
  }

  private ObjectNode current() {
    ObjectNode c = json.createObjectNode();
    c.put("round", round).put("selected", selected).put("done", done).put("succeeded", succeeded).put("failed", failed);
    return c;
  }

  private ObjectNode row(RoundRecord r) {
    ObjectNode o = json.createObjectNode();
    o.put("round", r.round());
    o.put("committed", r.committed());
    o.put("failure_reason", r.failureReason());
    o.put("clients_selected", r.clientsSelected());
    o.put("clients_succeeded", r.clientsSucceeded());
    o.put("clients_failed", r.failures().size());
    o.put("clients_flagged", r.verdicts().size());
    o.put("bytes_up", r.bytesUp());
    o.put("bytes_down", r.bytesDown());
    o.put("seconds", r.seconds());
    for (Map.Entry<String, Double> m : r.metrics().asMap().entrySet()) {
      if (Double.isFinite(m.getValue()) && !o.has(m.getKey())) {
        o.put(m.getKey(), m.getValue());
      }
    }
    return o;
  }

  private void putClientTables(ObjectNode o) {
    ArrayNode fs = o.putArray("failures");
    List<ObjectNode> newestFirst = new ArrayList<>(failures);
    for (int i = newestFirst.size() - 1; i >= 0; i--) {
      fs.add(newestFirst.get(i));
    }
    ObjectNode counts = o.putObject("failure_counts");
    failureCounts.forEach(counts::put);
    ArrayNode fl = o.putArray("flagged");
    flagged.entrySet().stream()
        .sorted(Comparator.<Map.Entry<String, Flag>>comparingLong(e -> -e.getValue().count).thenComparing(Map.Entry::getKey))
        .limit(TOP_FLAGGED)
        .forEach(e -> fl.addObject().put("client", e.getKey()).put("count", e.getValue().count)
            .put("action", e.getValue().action).put("rule", e.getValue().rule).put("round", e.getValue().round));
    o.put("flagged_clients", flagged.size());
    o.put("flagged_untracked", flaggedOther);
  }

  /** The ledger head; read afresh only on the round loop's thread ({@code refresh}), the ledger's own thread. */
  private void putLedger(ObjectNode o, boolean refresh) {
    if (refresh && settings.ledger()) {
      ledger = ledgerHead.get().orElse(null);
    }
    if (ledger == null) {
      o.putNull("ledger_head");
    } else {
      o.put("ledger_head", ledger);
    }
  }

  private void publish(String event, ObjectNode data) {
    if (subscribers.isEmpty()) {
      return;
    }
    String f = frame(event, data);
    List<Subscriber> behind = new ArrayList<>();
    for (Subscriber s : subscribers) {
      if (s.frames.size() >= QUEUE) {
        behind.add(s);
      } else {
        s.frames.add(f);
      }
    }
    for (Subscriber s : behind) {
      s.frames.clear();
      s.frames.add(END);
      subscribers.remove(s);
    }
  }

  private String frame(String event, ObjectNode data) {
    try {
      return "event: " + event + "\ndata: " + json.writeValueAsString(data) + "\n\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode a dashboard event", e);
    }
  }
}
