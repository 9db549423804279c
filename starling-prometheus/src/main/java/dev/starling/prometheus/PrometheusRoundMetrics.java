package dev.starling.prometheus;

import dev.starling.core.message.ClientFailure;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundRecord;
import dev.starling.strategy.ClientVerdict;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * Keeps a run's operational metrics in a Prometheus registry, updated as rounds end (a {@link RoundListener}),
 * for an endpoint that monitoring scrapes. Names (all prefixed {@code starling_}):
 * <ul>
 *   <li>{@code rounds_completed_total}: rounds that ended, committed or not; {@code rounds_without_update_total}: those
 *       that kept the previous model; {@code round}: the number of the last round that ended
 *   <li>{@code round_duration_seconds}: histogram of round wall-clock time, evaluation included
 *   <li>{@code clients_connected}: clients in the pool now (read at scrape time, when a supplier is given);
 *       {@code clients_selected} and {@code clients_succeeded}: of the last round
 *   <li>{@code bytes_up_total}, {@code bytes_down_total}: bytes received from and sent to clients
 *   <li>{@code client_failures_total{code}}: selected clients that failed or whose update was rejected, by
 *       {@code ErrorCode} name ({@code INVALID_ARGUMENT}: refused by validation; {@code DEADLINE_EXCEEDED},
 *       {@code UNAVAILABLE}, ...); {@code clients_flagged_total{action}}: robust-rule verdicts
 *       ({@code REJECTED}, {@code DOWNWEIGHTED}, {@code CLIPPED})
 *   <li>{@code epsilon}, {@code delta}: privacy spent so far (only once a round reported them)
 *   <li>{@code round_metric{name}}: every other finite metric of the last round, e.g. {@code test_accuracy}
 * </ul>
 * Counters start at zero in each process (a resumed server does not replay its history), as Prometheus
 * expects of a restarted target.
 */
public final class PrometheusRoundMetrics implements RoundListener {
  private final Counter rounds;
  private final Counter roundsWithoutUpdate;
  private final Gauge round;
  private final Histogram duration;
  private final Gauge selected;
  private final Gauge succeeded;
  private final Counter bytesUp;
  private final Counter bytesDown;
  private final Counter failures;
  private final Counter flagged;
  private final PrometheusRegistry registry;
  private volatile Gauge epsilon;
  private volatile Gauge delta;
  private final Gauge metric;

  /** Registers the metrics in {@code registry}, without {@code clients_connected}. */
  public PrometheusRoundMetrics(PrometheusRegistry registry) {
    this(registry, null);
  }

  /**
   * Registers the metrics in {@code registry}; {@code connectedClients}, if not null, is read at each
   * scrape for {@code starling_clients_connected}.
   */
  public PrometheusRoundMetrics(PrometheusRegistry registry, IntSupplier connectedClients) {
    rounds = Counter.builder().name("starling_rounds_completed_total").help("Rounds that ended, committed or not")
        .register(registry);
    roundsWithoutUpdate = Counter.builder().name("starling_rounds_without_update_total")
        .help("Rounds that committed no update and kept the previous global model").register(registry);
    round = Gauge.builder().name("starling_round").help("Number of the last round that ended").register(registry);
    duration = Histogram.builder().name("starling_round_duration_seconds").help("Wall-clock time of a round, evaluation included")
        .classicOnly().classicUpperBounds(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800).register(registry);
    selected = Gauge.builder().name("starling_clients_selected").help("Clients selected in the last round").register(registry);
    succeeded = Gauge.builder().name("starling_clients_succeeded").help("Clients whose update was aggregated in the last round")
        .register(registry);
    bytesUp = Counter.builder().name("starling_bytes_up_total").help("Bytes received from clients").register(registry);
    bytesDown = Counter.builder().name("starling_bytes_down_total").help("Bytes sent to clients").register(registry);
    failures = Counter.builder().name("starling_client_failures_total")
        .help("Selected clients that failed or whose update was rejected, by ErrorCode").labelNames("code").register(registry);
    flagged = Counter.builder().name("starling_clients_flagged_total")
        .help("Clients a robust aggregation rule rejected, down-weighted or clipped, by action").labelNames("action")
        .register(registry);
    this.registry = registry;
    metric = Gauge.builder().name("starling_round_metric").help("Other metrics of the last round that ended, by name")
        .labelNames("name").register(registry);
    if (connectedClients != null) {
      GaugeWithCallback.builder().name("starling_clients_connected").help("Clients connected and available now")
          .callback(cb -> cb.call(connectedClients.getAsInt())).register(registry);
    }
  }

  @Override
  public void onRoundEnd(RoundRecord r) {
    rounds.inc();
    if (!r.committed()) {
      roundsWithoutUpdate.inc();
    }
    round.set(r.round());
    if (Double.isFinite(r.seconds()) && r.seconds() >= 0) {
      duration.observe(r.seconds());
    }
    selected.set(r.clientsSelected());
    succeeded.set(r.clientsSucceeded());
    bytesUp.inc(r.bytesUp());
    bytesDown.inc(r.bytesDown());
    for (ClientFailure f : r.failures()) {
      failures.labelValues(f.code().name()).inc();
    }
    for (ClientVerdict v : r.verdicts()) {
      flagged.labelValues(v.action().name()).inc();
    }
    for (Map.Entry<String, Double> e : r.metrics().asMap().entrySet()) {
      double v = e.getValue();
      if (!Double.isFinite(v)) {
        continue;
      }
      switch (e.getKey()) {
        case "epsilon" -> {
          if (epsilon == null) { // registered with the first value, so a run without DP shows no epsilon rather than 0
            epsilon = Gauge.builder().name("starling_epsilon").help("Differential privacy spent so far (epsilon)")
                .register(registry);
          }
          epsilon.set(v);
        }
        case "delta" -> {
          if (delta == null) {
            delta = Gauge.builder().name("starling_delta").help("Differential privacy delta of the reported epsilon")
                .register(registry);
          }
          delta.set(v);
        }
        default -> metric.labelValues(e.getKey()).set(v);
      }
    }
  }
}
