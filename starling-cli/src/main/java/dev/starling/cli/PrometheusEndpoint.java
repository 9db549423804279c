package dev.starling.cli;

import dev.starling.prometheus.PrometheusRoundMetrics;
import dev.starling.server.RoundListener;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.IntSupplier;

/**
 * The server's Prometheus endpoint ({@code --metrics-port}, config {@code metrics-port} / {@code metrics-host}):
 * the Prometheus Java client's HTTP server on its own registry, serving {@code /metrics}, fed by a
 * {@link PrometheusRoundMetrics} listener. Bound to 127.0.0.1 unless a host is configured.
 */
final class PrometheusEndpoint implements AutoCloseable {
  static final String DEFAULT_HOST = "127.0.0.1";

  private final HTTPServer http;
  private final PrometheusRoundMetrics metrics;

  private PrometheusEndpoint(HTTPServer http, PrometheusRoundMetrics metrics) {
    this.http = http;
    this.metrics = metrics;
  }

  /** Listens on {@code host:port} (0 = any free port); {@code connected} is read at each scrape. */
  static PrometheusEndpoint start(String host, int port, IntSupplier connected) {
    PrometheusRegistry registry = new PrometheusRegistry();
    PrometheusRoundMetrics m = new PrometheusRoundMetrics(registry, connected);
    try {
      return new PrometheusEndpoint(HTTPServer.builder().hostname(host).port(port).registry(registry).buildAndStart(), m);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve Prometheus metrics on " + host + ":" + port + ": " + e.getMessage(), e);
    }
  }

  RoundListener listener() {
    return metrics;
  }

  int port() {
    return http.getPort();
  }

  @Override
  public void close() {
    http.close();
  }
}
