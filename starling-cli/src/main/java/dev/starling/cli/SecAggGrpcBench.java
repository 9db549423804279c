package dev.starling.cli;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.privacy.secagg.SecAggParams;
import dev.starling.privacy.secagg.SecureAggregationStrategy;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.strategy.Strategy;
import dev.starling.server.RoundRecord;
import dev.starling.strategy.FedAvg;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import dev.starling.transport.grpc.client.Trainer;
import dev.starling.transport.grpc.server.FederationServer;
import dev.starling.transport.grpc.server.SecAggSettings;
import dev.starling.transport.grpc.server.ServerSettings;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling bench secagg-grpc}: secure aggregation over real gRPC on 127.0.0.1 against plain FedAvg
 * over the same transport (the baseline, measured in the same run), without and with drop-outs. Every
 * client adds the same fixed vector to the model (no training), so the exact expected model is known and
 * the table also reports the largest error of the unmasked aggregate.
 */
@Command(name = "secagg-grpc", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Secure aggregation over gRPC loopback vs plain FedAvg over gRPC, with and without drop-outs;",
        "server and client CPU per round, bytes per client, error of the unmasked aggregate."})
final class SecAggGrpcBench implements java.util.concurrent.Callable<Integer> {
  @Option(names = "--clients", defaultValue = "10", description = "Clients per round. Default: ${DEFAULT-VALUE}.")
  int clients;

  @Option(names = "--params", defaultValue = "100000", description = "Model parameters (float32). Default: ${DEFAULT-VALUE}.")
  int params;

  @Option(names = "--rounds", defaultValue = "3", description = "Measured rounds (after 1 warm-up round). Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = "--dropout", defaultValue = "0.3",
      description = "Fraction of clients that drop out of each round in the drop-out rows (after sharing keys, before masking); also the secure aggregation tolerance. Default: ${DEFAULT-VALUE}.")
  double dropout;

  private record Row(String name, double roundMs, double serverCpuMs, double secaggServerMs, double clientCpuMs,
      double upPerClient, double downPerClient, double aggregated, double maxError) {}

  static float delta(int i) {
    return 1e-3f * ((i % 7) - 3);
  }

  private Row run(String name, boolean secagg, int drops) throws InterruptedException {
    ServerSettings ls = ServerSettings.loopback(0, "flat:" + params, "fedavg");
    ServerSettings ss = ls.withHeartbeat(Duration.ofSeconds(5)).withLimits((long) params * 2, 2, Duration.ofMinutes(10));
    List<FederationClient> fcs = new ArrayList<>();
    try (FederationServer server = new FederationServer(ss).start()) {
      if (secagg) {
        server.enableSecureAggregation(new SecAggSettings(dropout, 1.0, Duration.ofSeconds(60), Duration.ofMinutes(10)));
      }
      for (int c = 0; c < clients; c++) {
        int me = c;
        Trainer t = new Trainer() {
          @Override
          public TrainResult fit(ParameterSet global, TrainConfig config) {
            if (Math.floorMod(me - config.round(), clients) < drops) {
              throw new FlException(ErrorCode.UNAVAILABLE, "bench drop-out of client " + me + " in round " + config.round());
            }
            float[] w = global.flatten();
            for (int i = 0; i < w.length; i++) {
              w[i] += delta(i);
            }
            return new TrainResult(global.unflatten(w), 1, 1, Metrics.of(Metrics.LOSS, 0));
          }

          @Override
          public EvalResult evaluate(ParameterSet global) {
            throw new UnsupportedOperationException();
          }
        };
        FederationClient fc = new FederationClient(ClientSettings.of("127.0.0.1", server.port(), "b" + c), (m, s) -> t);
        fcs.add(fc);
        Thread.ofPlatform().daemon().name("starling-client-runner-" + c).start(() -> {
          try {
            fc.run();
          } catch (RuntimeException e) {
            // reported through the server's round records
          }
        });
      }
      RoundLoopConfig[] loop = new RoundLoopConfig[1];
      Strategy fedAvg = BenchRun.networked(rounds, clients, loop).strategy();
      RoundLoopConfig cfg = loop[0];
      List<RoundRecord> recs = new CopyOnWriteArrayList<>();
      long[] at = new long[4];
      ParameterSet initial = ParameterSet.of(Tensor.zeros("w", params));
      Strategy secured = server.secureSum()
          .<Strategy>map(sum -> new dev.starling.privacy.secagg.SecureAggregationStrategy(fedAvg, sum)).orElse(fedAvg);
      RoundLoop.Result res = new RoundLoop(server.wrap(secured), server.pool(), cfg, new RoundListener() {
        @Override
        public void onRoundEnd(RoundRecord r) {
          recs.add(r);
          if (r.round() == 1) {
            at[0] = ThreadCpu.server();
            at[1] = ThreadCpu.nanos(n -> n.startsWith("starling-client-work-"));
            at[2] = fcs.stream().mapToLong(FederationClient::bytesSent).sum();
            at[3] = fcs.stream().mapToLong(FederationClient::bytesReceived).sum();
          }
        }
      }).run(initial);
      double serverCpu = (ThreadCpu.server() - at[0]) / 1e6 / rounds;
      double clientCpu = (ThreadCpu.nanos(n -> n.startsWith("starling-client-work-")) - at[1]) / 1e6 / rounds / clients;
      double up = (fcs.stream().mapToLong(FederationClient::bytesSent).sum() - at[2]) / (double) rounds / clients;
      double down = (fcs.stream().mapToLong(FederationClient::bytesReceived).sum() - at[3]) / (double) rounds / clients;
      server.finish("bench done");
      List<RoundRecord> m = recs.subList(1, recs.size());
      double ms = m.stream().mapToDouble(RoundRecord::seconds).average().orElse(Double.NaN) * 1000;
      double secaggMs = secagg ? m.stream().mapToDouble(r -> r.metric("secagg_server_seconds")).average().orElse(Double.NaN) * 1000
          : Double.NaN;
      double agg = m.stream().mapToDouble(RoundRecord::clientsSucceeded).average().orElse(0);
      float[] w = res.global().flatten();
      double err = 0;
      for (int i = 0; i < w.length; i++) {
        err = Math.max(err, Math.abs(w[i] - (double) (rounds + 1) * delta(i)));
      }
      if (recs.stream().anyMatch(r -> r.metric("secagg_unmask_failed") == 1 || r.metric("round_failed") == 1)) {
        err = Double.NaN;
      }
      return new Row(name, ms, serverCpu, secaggMs, clientCpu, up, down, agg, err);
    } finally {
      fcs.forEach(FederationClient::close);
    }
  }

  @Override
  public Integer call() throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    int drops = (int) Math.floor(dropout * clients);
    int threshold = SecAggParams.forClients(clients, dropout, SecureAggregationStrategy.codecFor(clients, 8), 1).threshold();
    if (drops > clients - 1 - threshold) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, "with %d clients the threshold is %d, so at most %d may drop"
          + " out and be recovered; --dropout %s drops %d: use more clients or a smaller --dropout", clients, threshold,
          clients - 1 - threshold, dropout, drops));
    }
    out.printf(Locale.ROOT, "%d clients x %,d float32 params over gRPC on 127.0.0.1, %d measured rounds (+1 warm-up), %d CPUs;"
        + " drop-out rows: %d clients per round fail after sharing keys (before masking)%n", clients, params, rounds,
        Runtime.getRuntime().availableProcessors(), drops);
    List<Row> rows = List.of(run("FedAvg", false, 0), run("SecAgg", true, 0),
        run("FedAvg, " + drops + " drop", false, drops), run("SecAgg, " + drops + " drop", true, drops));
    out.printf(Locale.ROOT, "%-16s %9s %14s %13s %15s %14s %14s %5s %10s%n", "run", "round ms", "server CPU ms",
        "secagg srv ms", "client CPU ms", "B up/client", "B down/client", "aggr", "max error");
    for (Row r : rows) {
      out.printf(Locale.ROOT, "%-16s %9.1f %14.1f %13.1f %15.1f %,14.0f %,14.0f %5.1f %10.2e%n", r.name(), r.roundMs(),
          r.serverCpuMs(), r.secaggServerMs(), r.clientCpuMs(), r.upPerClient(), r.downPerClient(), r.aggregated(), r.maxError());
    }
    out.printf(Locale.ROOT, "SecAgg / FedAvg: round time %.2fx, server CPU %.2fx, bytes up per client %.3fx (no drop-out);"
        + " round time %.2fx, server CPU %.2fx with drop-outs%n", rows.get(1).roundMs() / rows.get(0).roundMs(),
        rows.get(1).serverCpuMs() / rows.get(0).serverCpuMs(), rows.get(1).upPerClient() / rows.get(0).upPerClient(),
        rows.get(3).roundMs() / rows.get(2).roundMs(), rows.get(3).serverCpuMs() / rows.get(2).serverCpuMs());
    out.println("server CPU = every thread but the clients' (includes the Netty event loops and stream writers both ends share);"
        + " secagg srv = the protocol's own server work (routing shares, summing masked inputs, Shamir recovery, mask removal);"
        + " client CPU = one client's worker thread (keys, shares, masking, unmask shares; the 'training' is a vector add);"
        + " bytes = protobuf messages a client sent/received per round, HTTP/2 framing not included");
    return 0;
  }
}
