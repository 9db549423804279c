package dev.starling.cli;

import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.server.ClientPool;
import dev.starling.server.ClientProxy;
import dev.starling.server.FitOutcome;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.server.RoundRecord;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.FedAvg;
import dev.starling.strategy.ForwardingStrategy;
import dev.starling.strategy.Strategy;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import dev.starling.transport.grpc.client.Trainer;
import dev.starling.transport.grpc.server.FederationServer;
import dev.starling.transport.grpc.server.ServerSettings;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling bench transport}: the cost of a FedAvg round over gRPC on loopback against the same
 * round with in-process clients (the baseline), measured in the same run, plus bytes on the wire versus
 * raw parameter bytes.
 */
@Command(name = "transport", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"FedAvg rounds with N clients over real gRPC on 127.0.0.1 versus in-process clients (baseline),",
        "same JVM, same round loop; clients return the global model nudged by 1e-3 (no training); and the same bytes",
        "over plain TCP sockets on 127.0.0.1 (the kernel's floor under any transport)."})
final class TransportBench implements java.util.concurrent.Callable<Integer> {
  @Option(names = "--clients", defaultValue = "100", description = "Clients. Default: ${DEFAULT-VALUE}.")
  int clients;

  @Option(names = "--params", defaultValue = "1000000", description = "Model parameters (float32). Default: ${DEFAULT-VALUE}.")
  int params;

  @Option(names = "--rounds", defaultValue = "5", description = "Measured rounds (after 1 warm-up round). Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = "--chunk-values", defaultValue = "262144", description = "float32 values per chunk message. Default: ${DEFAULT-VALUE}.")
  int chunkValues;

  @Option(names = "--uploads", defaultValue = "2", description = "Server upload slots (max-concurrent-uploads). Default: ${DEFAULT-VALUE}.")
  int uploads;

  /** Times the strategy's fold and finish: the aggregation work proper. */
  private static final class TimedStrategy extends ForwardingStrategy {
    final AtomicLong foldNanos = new AtomicLong();

    TimedStrategy(Strategy s) {
      super(s);
    }

    @Override
    public Aggregation beginAggregation(int round, ParameterSet global) {
      Aggregation inner = super.beginAggregation(round, global);
      return new Aggregation() {
        @Override
        public void accept(ClientId client, TrainResult result) {
          long t = System.nanoTime();
          inner.accept(client, result);
          foldNanos.addAndGet(System.nanoTime() - t);
        }

        @Override
        public AggregateResult finish(List<dev.starling.core.message.ClientFailure> failures) {
          long t = System.nanoTime();
          AggregateResult r = inner.finish(failures);
          foldNanos.addAndGet(System.nanoTime() - t);
          return r;
        }
      };
    }
  }

  private static TrainResult nudge(ParameterSet global, boolean copy) {
    ParameterSet p = copy ? global.copy() : global;
    for (Tensor t : p) {
      float[] d = t.data();
      for (int i = 0; i < d.length; i++) {
        d[i] += 1e-3f;
      }
    }
    return new TrainResult(p, 1, 1, Metrics.of(Metrics.LOSS, 0));
  }

  private record Measured(double roundMs, double foldMs, double serverCpuMs, double clientCpuMs, long bytesUp,
      long bytesDown) {
    /** Uplink bytes the server takes in per second of its CPU time: GB/s per core busy. */
    double gbPerCpuSecond() {
      return bytesUp / (serverCpuMs * 1e6);
    }
  }

  private Measured measure(Strategy base, RoundLoopConfig loop, ClientPool pool, FederationServer server) {
    TimedStrategy timed = new TimedStrategy(base);
    Strategy s = server == null ? timed : server.wrap(timed);
    List<RoundRecord> recs = new CopyOnWriteArrayList<>();
    RoundLoopConfig cfg = loop;
    long[] cpuAtWarm = new long[2];
    long[] foldAtWarm = new long[1];
    new RoundLoop(s, pool, cfg, new RoundListener() {
      @Override
      public void onRoundEnd(RoundRecord r) {
        recs.add(r);
        if (r.round() == 1) {
          cpuAtWarm[0] = ThreadCpu.server();
          cpuAtWarm[1] = ThreadCpu.clients();
          foldAtWarm[0] = timed.foldNanos.get();
        }
      }
    }).run(ParameterSet.of(Tensor.zeros("w", params)));
    List<RoundRecord> measured = recs.subList(1, recs.size());
    double sec = measured.stream().mapToDouble(RoundRecord::seconds).sum();
    long up = measured.stream().mapToLong(RoundRecord::bytesUp).sum();
    long down = measured.stream().mapToLong(RoundRecord::bytesDown).sum();
    return new Measured(sec * 1000 / rounds, (timed.foldNanos.get() - foldAtWarm[0]) / 1e6 / rounds,
        (ThreadCpu.server() - cpuAtWarm[0]) / 1e6 / rounds, (ThreadCpu.clients() - cpuAtWarm[1]) / 1e6 / rounds,
        up / rounds, down / rounds);
  }

  @Override
  public Integer call() throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    long raw = (long) params * Float.BYTES;
    out.printf(Locale.ROOT, "FedAvg, %d clients x %,d params (%,d raw bytes per model), %d measured rounds, %d CPUs, %,d values per chunk%n",
        clients, params, raw, rounds, Runtime.getRuntime().availableProcessors(), chunkValues);

    List<ClientProxy> local = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      ClientId id = ClientId.ofIndex(i);
      local.add(new ClientProxy() {
        @Override
        public ClientId id() {
          return id;
        }

        @Override
        public CompletableFuture<FitOutcome> fit(ParameterSet global, TrainConfig config) {
          return CompletableFuture.completedFuture(new FitOutcome(nudge(global, true), raw, raw));
        }

        @Override
        public CompletableFuture<EvalResult> evaluate(ParameterSet global) {
          throw new UnsupportedOperationException();
        }
      });
    }
    RoundLoopConfig[] loop = new RoundLoopConfig[1];
    Measured base = measure(BenchRun.networked(rounds, clients, loop).strategy(), loop[0], ClientPool.of(local), null);

    Measured net = networked(ServerSettings.NO_LANE, loop);
    Measured laned = networked(0, loop);

    RawTcpFloor.Result f = RawTcpFloor.measure(clients, raw, rounds);
    Measured floor = new Measured(f.roundMs(), 0, f.serverCpuMs(), f.clientCpuMs(), f.bytesUp(), f.bytesDown());

    out.printf(Locale.ROOT, "%-22s %10s %9s %14s %14s %16s %16s %16s%n", "clients", "round ms", "fold ms",
        "server CPU ms", "client CPU ms", "GB in/server CPU-s", "bytes up/round", "bytes down/round");
    row(out, "in-process (baseline)", base);
    row(out, "gRPC loopback", net);
    row(out, "gRPC + byte lane", laned);
    row(out, "raw TCP loopback floor", floor);
    double rawRound = (double) raw * clients;
    out.printf(Locale.ROOT, "gRPC / in-process round time: %.2fx; server CPU per round: %.2fx%n",
        net.roundMs() / base.roundMs(), net.serverCpuMs() / base.serverCpuMs());
    out.printf(Locale.ROOT, "gRPC + byte lane / in-process round time: %.2fx; server CPU per round: %.2fx%n",
        laned.roundMs() / base.roundMs(), laned.serverCpuMs() / base.serverCpuMs());
    out.printf(Locale.ROOT, "raw TCP / in-process round time: %.2fx; gRPC / raw TCP round time: %.2fx, server CPU: %.2fx%n",
        floor.roundMs() / base.roundMs(), net.roundMs() / floor.roundMs(), net.serverCpuMs() / floor.serverCpuMs());
    out.println("raw TCP floor: the same bytes over plain loopback sockets (one selector thread serving, a blocking thread"
        + " per client), no framing, parsing or copy out of the socket buffers: what the kernel alone costs here.");
    out.println("server CPU: the server's own threads (starling-server-*), the round loop, the aggregation kernels and the"
        + " virtual-thread carriers (its stream writers); client CPU: the in-JVM clients' threads and gRPC's shared"
        + " threads their channels use (in-process, the clients run on the round loop's threads and count as server). GB in per server CPU-s: uplink bytes per second of server CPU.");
    out.printf(Locale.ROOT, "wire bytes / raw parameter bytes: up %.5f, down %.5f (protobuf messages; HTTP/2 framing adds 9 B per 16 KiB frame)%n",
        net.bytesUp() / rawRound, net.bytesDown() / rawRound);
    out.println("byte lane (protocol v1.7): chunk bytes on a plain TCP connection beside each session's stream, announced"
        + " in the stream; bytes up/down count both.");
    return 0;
  }

  /** The gRPC rounds: a server on loopback (with a byte lane on a free port unless {@code lanePort} is NO_LANE). */
  private Measured networked(int lanePort, RoundLoopConfig[] loop) {
    ServerSettings ls = ServerSettings.loopback(0, "flat:" + params, "fedavg");
    ServerSettings ss = new ServerSettings(ls.host(), 0, ls.tls(), ls.tokens(), Duration.ofSeconds(5), chunkValues,
        (long) params * 2, uploads, Duration.ofMinutes(10), ls.model(), ls.strategy(), ls.runId()).withLane(lanePort);
    Measured net;
    List<FederationClient> fcs = new ArrayList<>();
    try (FederationServer server = new FederationServer(ss).start()) {
      Trainer constant = new Trainer() {
        @Override
        public TrainResult fit(ParameterSet global, TrainConfig config) {
          return nudge(global, false);
        }

        @Override
        public EvalResult evaluate(ParameterSet global) {
          throw new UnsupportedOperationException();
        }
      };
      for (int i = 0; i < clients; i++) {
        ClientSettings cs0 = ClientSettings.of("127.0.0.1", server.port(), "b" + i);
        ClientSettings cs = new ClientSettings(cs0.host(), cs0.port(), cs0.clientId(), cs0.token(), cs0.tls(), chunkValues,
            cs0.initialBackoff(), cs0.maxBackoff(), cs0.giveUpAfter());
        FederationClient c = new FederationClient(cs, (m, s) -> constant);
        fcs.add(c);
        Thread.ofPlatform().daemon().name("starling-client-runner-" + i).start(c::run);
      }
      net = measure(BenchRun.networked(rounds, clients, loop).strategy(), loop[0], server.pool(), server);
      server.finish("bench done");
    } finally {
      fcs.forEach(FederationClient::close);
    }
    return net;
  }

  private static void row(PrintStream out, String name, Measured m) {
    out.printf(Locale.ROOT, "%-22s %10.1f %9.1f %14.1f %14.1f %16.2f %,16d %,16d%n", name, m.roundMs(), m.foldMs(),
        m.serverCpuMs(), m.clientCpuMs(), m.gbPerCpuSecond(), m.bytesUp(), m.bytesDown());
  }
}
