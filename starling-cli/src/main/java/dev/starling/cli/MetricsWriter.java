package dev.starling.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.starling.core.message.ClientFailure;
import dev.starling.server.ClientRoundStats;
import dev.starling.server.RoundListener;
import dev.starling.strategy.ClientVerdict;
import dev.starling.server.RoundRecord;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes {@code --metrics-out}: one JSON object per line per round, flushed after each round so a
 * crashed run keeps every finished round. Field order and names are a public contract (README,
 * "Metrics file"): the fixed fields first, then every other round metric by its name, then
 * {@code failure_reason} (only for a round that committed no update), then {@code failures} and
 * {@code flagged}; with {@code --client-metrics} then {@code clients} (one object per client whose update
 * arrived, at most {@link #clientCap} per round, the lowest client ids kept) and {@code clients_omitted}.
 */
final class MetricsWriter implements RoundListener, AutoCloseable {
  private static final Set<String> FIXED = Set.of("train_loss", "test_loss", "test_accuracy");

  /** Per-client rows per round when {@code --client-metrics} is given without a number. */
  static final int DEFAULT_CLIENT_CAP = 1000;

  private final ObjectMapper json = new ObjectMapper();
  private final BufferedWriter out;
  private final Path path;
  private final int clientCap;
  // round -> the arrived updates kept so far (at most clientCap, by client id) and how many were dropped;
  // guarded by this: asynchronous drivers report arrivals before the round they land in starts
  private final Map<Integer, RoundClients> clients = new HashMap<>();

  private static final class RoundClients {
    final TreeMap<String, ClientRoundStats> kept = new TreeMap<>();
    long omitted;
  }

  MetricsWriter(Path path) throws IOException {
    this(path, 0);
  }

  /** A writer that adds up to {@code clientCap} per-client rows to each round (0: none, the default line). */
  MetricsWriter(Path path, int clientCap) throws IOException {
    if (clientCap < 0) {
      throw new IllegalArgumentException("clientCap must be >= 0, got " + clientCap);
    }
    this.clientCap = clientCap;
    this.path = path;
    Path parent = path.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    this.out = Files.newBufferedWriter(path, StandardCharsets.UTF_8);
  }

  /** The JSON object of one round (without per-client rows). */
  ObjectNode toJson(RoundRecord r) {
    return toJson(r, null);
  }

  private ObjectNode toJson(RoundRecord r, RoundClients perClient) {
    ObjectNode o = json.createObjectNode();
    o.put("round", r.round());
    for (String k : new String[] {"train_loss", "test_loss", "test_accuracy"}) {
      double v = r.metric(k);
      if (Double.isFinite(v)) {
        o.put(k, v);
      } else {
        o.putNull(k);
      }
    }
    o.put("clients_selected", r.clientsSelected());
    o.put("clients_succeeded", r.clientsSucceeded());
    o.put("bytes_up", r.bytesUp());
    o.put("bytes_down", r.bytesDown());
    o.put("seconds", r.seconds());
    for (Map.Entry<String, Double> e : r.metrics().asMap().entrySet()) {
      if (!FIXED.contains(e.getKey()) && Double.isFinite(e.getValue())) {
        o.put(e.getKey(), e.getValue());
      }
    }
    if (!r.failureReason().isEmpty()) {
      o.put("failure_reason", r.failureReason());
    }
    ArrayNode failures = o.putArray("failures");
    for (ClientFailure f : r.failures()) {
      failures.addObject().put("client", f.client().value()).put("code", f.code().name()).put("reason", f.reason());
    }
    ArrayNode flagged = o.putArray("flagged");
    for (ClientVerdict v : r.verdicts()) {
      flagged.addObject().put("client", v.client().value()).put("action", v.action().name()).put("weight", v.weight())
          .put("rule", v.rule());
    }
    if (perClient != null) {
      ArrayNode rows = o.putArray("clients");
      for (ClientRoundStats c : perClient.kept.values()) {
        ObjectNode row = rows.addObject().put("client", c.client().value()).put("accepted", c.accepted())
            .put("examples", c.examples());
        if (Double.isFinite(c.loss())) {
          row.put("loss", c.loss());
        } else {
          row.putNull("loss");
        }
        row.put("seconds", c.seconds()).put("bytes_up", c.bytesUp()).put("bytes_down", c.bytesDown());
      }
      o.put("clients_omitted", perClient.omitted);
    }
    return o;
  }

  @Override
  public synchronized void onClientStats(int round, ClientRoundStats stats) {
    if (clientCap == 0) {
      return;
    }
    RoundClients rc = clients.computeIfAbsent(round, r -> new RoundClients());
    rc.kept.put(stats.client().value(), stats);
    if (rc.kept.size() > clientCap) {
      rc.kept.pollLastEntry();
      rc.omitted++;
    }
  }

  /** Writes a round recorded before this process started (a resumed run's history): no per-client rows. */
  void replay(RoundRecord record) {
    write(toJson(record, null));
  }

  @Override
  public void onRoundEnd(RoundRecord record) {
    RoundClients perClient;
    synchronized (this) {
      perClient = clientCap == 0 ? null : clients.remove(record.round());
    }
    write(toJson(record, clientCap == 0 ? null : perClient == null ? new RoundClients() : perClient));
  }

  private void write(ObjectNode line) {
    try {
      out.write(json.writeValueAsString(line));
      out.newLine();
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write metrics to " + path + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
