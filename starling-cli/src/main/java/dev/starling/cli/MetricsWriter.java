package dev.starling.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.starling.core.message.ClientFailure;
import dev.starling.server.RoundListener;
import dev.starling.strategy.ClientVerdict;
import dev.starling.server.RoundRecord;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * Writes {@code --metrics-out}: one JSON object per line per round, flushed after each round so a
 * crashed run keeps every finished round. Field order and names are a public contract (README,
 * "Metrics file"): the fixed fields first, then every other round metric by its name, then
 * {@code failure_reason} (only for a round that committed no update), then {@code failures}.
 */
final class MetricsWriter implements RoundListener, AutoCloseable {
  private static final Set<String> FIXED = Set.of("train_loss", "test_loss", "test_accuracy");

  private final ObjectMapper json = new ObjectMapper();
  private final BufferedWriter out;
  private final Path path;

  MetricsWriter(Path path) throws IOException {
    this.path = path;
    Path parent = path.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    this.out = Files.newBufferedWriter(path, StandardCharsets.UTF_8);
  }

  /** The JSON object of one round. */
  ObjectNode toJson(RoundRecord r) {
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
    return o;
  }

  @Override
  public void onRoundEnd(RoundRecord record) {
    try {
      out.write(json.writeValueAsString(toJson(record)));
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
