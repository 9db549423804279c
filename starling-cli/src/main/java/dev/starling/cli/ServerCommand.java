package dev.starling.cli;

import dev.starling.core.io.ModelArchive;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.data.Dataset;
import dev.starling.data.LoadedData;
import dev.starling.data.Preprocessing;
import dev.starling.data.Standardizer;
import dev.starling.learners.LearnerContext;
import dev.starling.learners.LearnerFactory;
import dev.starling.learners.Learners;
import dev.starling.server.CheckpointStore;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.server.RoundRecord;
import dev.starling.server.RunState;
import dev.starling.run.InvalidRunException;
import dev.starling.run.Listeners;
import dev.starling.run.NetworkedRun;
import dev.starling.run.RunAssembler;
import dev.starling.run.RunSpec;
import dev.starling.strategy.Strategy;
import dev.starling.transport.grpc.TlsFiles;
import dev.starling.transport.grpc.server.FederationServer;
import dev.starling.transport.grpc.server.SecAggSettings;
import dev.starling.transport.grpc.server.ServerSettings;
import dev.starling.transport.grpc.server.WireCompression;
import dev.starling.transport.grpc.wire.Payloads;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code starling server}: the federated server of a networked deployment; clients dial in over gRPC. */
@Command(name = "server", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Runs a federated server that clients reach over gRPC (they dial in; the server never dials out).",
        "The same round loop and strategies as 'simulate'; checkpoints after every round and resumes from the latest."})
final class ServerCommand implements Callable<Integer> {
  /** Same stream as Simulation's model initialisation, so a server and a simulation with one seed start alike. */

  @Option(names = "--port", paramLabel = "P", required = true, description = "TCP port to listen on (0 = any free port).")
  int port;

  @Option(names = "--host", paramLabel = "ADDR", defaultValue = "0.0.0.0", description = "Address to bind. Default: ${DEFAULT-VALUE}.")
  String host;

  @Option(names = "--config", paramLabel = "FILE", description = "Run configuration (Java properties); see README 'Networked deployment'.")
  Path config;

  @Option(names = "--checkpoint-dir", paramLabel = "DIR", description = "Checkpoint after every round (every aggregation in the asynchronous modes) here and resume from the latest intact checkpoint (overrides checkpoint-dir in the config).")
  Path checkpointDir;

  @Option(names = "--discard-corrupt-checkpoints", description = "When every checkpoint in the checkpoint directory is unreadable,"
      + " move them aside (NAME.corrupt) and start a new run instead of refusing to start; an existing --metrics-out file is kept"
      + " as FILE.discarded-N. Also config 'discard-corrupt-checkpoints = true'.")
  boolean discardCorruptCheckpoints;

  @Option(names = "--tokens", paramLabel = "FILE", description = "Per-client tokens, one 'CLIENT_ID TOKEN' per line; clients without a valid token are refused (UNAUTHENTICATED).")
  Path tokens;

  @Option(names = "--tls-cert", paramLabel = "PEM", description = "Server certificate chain: turns on TLS.")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "Server private key (PKCS#8 PEM).")
  Path tlsKey;

  @Option(names = "--tls-client-ca", paramLabel = "PEM", description = "CA of client certificates: requires mutual TLS.")
  Path tlsClientCa;

  @Option(names = "--metrics-out", paramLabel = "FILE", description = "Write one JSON object per round (JSON Lines), as 'simulate' does.")
  Path metricsOut;

  @picocli.CommandLine.Option(names = "--client-metrics", paramLabel = "MAX", arity = "0..1",
      fallbackValue = "" + MetricsWriter.DEFAULT_CLIENT_CAP,
      description = "Add per-client rows (examples, loss, seconds, bytes) to every --metrics-out line, at most MAX per"
          + " round (the lowest client ids; the rest counted in clients_omitted). Default MAX: ${FALLBACK-VALUE}.")
  Integer clientMetrics;

  @Option(names = "--model-out", paramLabel = "FILE", description = "Write the final global model (Starling model format v1).")
  Path modelOut;

  @Option(names = "--lane-port", paramLabel = "P", description = "Offer clients a byte lane on TCP port P (0: a free one):"
      + " model and update chunks then travel on a plain TCP connection beside each session's gRPC stream, without HTTP/2"
      + " framing (protocol v1.7; clients that cannot connect it keep them in the stream). Plaintext only: refused with"
      + " TLS. Also config 'lane-port'. Default: no lane.")
  Integer lanePort;

  @Option(names = "--port-file", paramLabel = "FILE", description = "Write the bound port to FILE once listening (for scripts and tests using --port 0).")
  Path portFile;

  @Option(names = "--metrics-port", paramLabel = "P", description = "Serve Prometheus metrics at http://127.0.0.1:P/metrics"
      + " (0 = any free port; config 'metrics-port', and 'metrics-host' to bind elsewhere).")
  Integer metricsPort;

  @Option(names = "--sync", paramLabel = "MODE", description = "sync | async[:ALPHA[,STALENESS]] (FedAsync) |"
      + " buffered:K[,ETA] (FedBuff) | semi-sync:DEADLINE | periodic:T: how clients and server synchronise, as in"
      + " 'simulate', on the wall clock; a client gets its next job as soon as it returned one (overrides config 'sync').")
  String sync;

  @Option(names = "--concurrency", paramLabel = "N", description = "Clients training at once in async, buffered and"
      + " periodic modes (0: clients per round; overrides config 'concurrency').")
  Integer concurrency;

  @Option(names = "--staleness-bound", paramLabel = "S", description = "Asynchronous modes: drop updates more than S"
      + " model versions old, recorded as failures with the reason (overrides config 'staleness-bound').")
  Integer stalenessBound;

  @Option(names = "--report-heap", description = "Print this process's CPU time per round and the sampled peak heap at the end (measurements).")
  boolean reportHeap;

  @picocli.CommandLine.Mixin
  LedgerOptions ledger = new LedgerOptions();

  @picocli.CommandLine.Mixin
  DashboardOptions dashboard = new DashboardOptions();
  @Option(names = "--ledger-client-keys", paramLabel = "DIR", description = "Every client's Ed25519 public key, one"
      + " <client-id>.pub (PEM) each (the same files as secagg-keys): each update must carry its client's signature of"
      + " (round, update SHA-256) (client --ledger-key), checked before it is folded and recorded in the ledger; an"
      + " unsigned or forged update is refused. Needs --ledger.")
  Path ledgerClientKeys;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    NetConfig c = new NetConfig(config);
    Integer promPort = metricsPort != null ? metricsPort : c.has("metrics-port") ? c.integerIn("metrics-port", 0, 0, 65535,
        "a TCP port") : null;
    if (promPort != null && (promPort < 0 || promPort > 65535)) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--metrics-port must be in [0, 65535], got " + promPort);
    }
    ledger.check(spec.commandLine());
    Path ckptDir = checkpointDir != null ? checkpointDir : c.has("checkpoint-dir") ? Path.of(c.str("checkpoint-dir", ".")) : null;
    if (modelOut != null) {
      RunChecks.requireWritableFile(spec.commandLine(), "--model-out", modelOut);
    }
    if (metricsOut != null) {
      RunChecks.requireWritableFile(spec.commandLine(), "--metrics-out", metricsOut);
    }
    RunChecks.checkClientMetrics(spec.commandLine(), clientMetrics, metricsOut);
    if (ckptDir != null) {
      RunChecks.requireWritableDirectory(spec.commandLine(), checkpointDir != null ? "--checkpoint-dir" : "config 'checkpoint-dir'",
          ckptDir);
    }
    HeapSampler heap = reportHeap ? HeapSampler.start() : null;
    RunSpec run = withSyncFlags(c.runSpec());
    if (!run.sync().synchronous()) {
      refuseWithAsync(ledger.ledgerSpec != null, "--ledger", "a ledger block records one round's participants, which the"
          + " asynchronous modes do not have");
    }
    dev.starling.dashboard.DashboardSettings dashSettings = dashboard.settings(spec.commandLine(),
        "server " + c.str("run-id", "starling-" + run.seed()) + ": " + c.str("model", RunSpec.Defaults.MODEL) + ", "
            + run.strategy(), run.loop().rounds(), run.privacy().targetEpsilon(), ledger.ledgerSpec != null);
    long seed = run.seed();
    String modelId = c.str("model", RunSpec.Defaults.MODEL);
    String strategySpec = run.strategy();
    // secure aggregation's settings first: the assembled strategy runs over a secure sum made with them (the spec's,
    // RunAssembler.networkSecAgg, each phase waiting 'secagg-phase-timeout' if the config says so)
    Optional<SecAggSettings> secAggSettings = run.privacy().secagg().map(a -> RunAssembler.networkSecAgg(run)).map(d ->
        new SecAggSettings(d.dropoutTolerance(), d.maxAbs(), c.duration("secagg-phase-timeout", d.phaseTimeout()),
            d.roundTimeout(), d.neighbours()));
    if (run.privacy().secagg().map(RunSpec.SecAgg::authenticated).orElse(false)) {
      if (!c.has("secagg-keys")) {
        throw new IllegalArgumentException("config 'secagg-auth = true' needs 'secagg-keys = DIR': one <client-id>.pub"
            + " (Ed25519, PEM) per client; refusing to run authenticated secure aggregation without them");
      }
      Map<String, java.security.PublicKey> ids = IdentityKeys.publicKeys(Path.of(c.str("secagg-keys", "")),
          "config 'secagg-keys'");
      secAggSettings = secAggSettings.map(a -> a.withIdentities(ids));
    } else if (c.has("secagg-keys")) {
      throw new IllegalArgumentException("config 'secagg-keys' is only used with 'secagg-auth = true'");
    }
    // the one wiring of a spec into a FederationServer and its loop; every refusal before listening, let alone round 1
    NetworkedRun.Builder builder = NetworkedRun.builder(run);
    secAggSettings.ifPresent(builder::secureAggregation);
    RunAssembler.Assembly assembly = assemble(builder);

    Dataset testSet = null;
    LearnerFactory serverLearner = null;
    StandardizedEvaluation standardized = null;
    if (modelId.startsWith("flat:")) {
      // a bare parameter vector for transport and memory benchmarks (clients run --learner constant)
      long n = Long.parseLong(modelId.substring(5).replace("_", ""));
      builder.model(modelId, ParameterSet.of(Tensor.zeros("w", Math.toIntExact(n))));
    } else {
      LearnerFactory learner = InvalidRunException.wrapAs("model", () -> Learners.parse(modelId));
      serverLearner = learner;
      DataOptions data = new DataOptions();
      data.dataset = c.str("dataset", "digits");
      data.testFraction = c.real("test-fraction", 0.2);
      data.missing = "reject";
      if (c.has("data-dir")) {
        data.dataDirs.add(Path.of(c.str("data-dir", ".")));
      }
      LoadedData loaded = data.load(seed, Optional.empty());
      boolean std = switch (c.str("standardize", "auto")) {
        case "on" -> true;
        case "off" -> false;
        default -> !data.isImageData();
      };
      Dataset test = loaded.test();
      testSet = test;
      // the initial model and the per-round test metrics are the factory's learner's, on the server's test set
      builder.learner(learner, test);
      if (std) {
        if (run.privacy().secagg().isPresent()) {
          throw new IllegalArgumentException((config == null ? "config" : config.toString()) + ": 'standardize' (on, or"
              + " auto for CSV data) cannot be combined with 'secagg': agreeing the standardisation statistics sends each"
              + " client's row count and per-feature sums and sums of squares to the server in the clear, which secure"
              + " aggregation exists to prevent; set standardize = off (with data already on a common scale) or drop secagg");
        }
        // the clients' statistics are agreed before round 1 and the test set is standardised with them
        standardized = new StandardizedEvaluation(learner, LearnerContext.of(learner.id(), test, seed), test);
        builder.evaluation(standardized::evaluate).decorate(standardized::serverSide).agreeStatistics();
      }
      out.printf(Locale.ROOT, "dataset   %s (server-side test set: %d rows)%n", loaded.description(), test.size());
    }
    ParameterSet initial = builder.initialParameters();

    if (c.has("dp-sgd-dataset-size")) {
      if (assembly.dpSgd().isEmpty()) {
        throw new IllegalArgumentException((config == null ? "config" : config.toString())
            + ": 'dp-sgd-dataset-size' needs 'dp-sgd = CLIP,Z'");
      }
      // the operator's promise that every client holds at least N examples: the smallest set has the largest
      // sampling rate B / N, so its budget is checked before round 1 and before every round for clients not yet seen
      builder.clientSizes(List.of(c.integerIn("dp-sgd-dataset-size", 1, 1, Integer.MAX_VALUE, "a number of examples")));
    }
    builder.maxExamplesPerClient(c.number("max-examples-per-client", dev.starling.strategy.UpdateValidator.DEFAULT_MAX_EXAMPLES));

    ServerSettings settings = new ServerSettings(host, port, tls(), readTokens(), c.duration("heartbeat", Duration.ofSeconds(2)),
        c.integerIn("chunk-values", Payloads.DEFAULT_CHUNK_VALUES, 1, Payloads.MAX_CHUNK_VALUES,
            "a chunk message must fit gRPC's 4 MiB message limit"), c.number("max-update-values", Math.max(initial.size() * 2, 1L << 20)),
        c.integer("max-concurrent-uploads", 2), c.duration("upload-wait", run.loop().roundTimeout()), modelId, strategySpec,
        c.str("run-id", "starling-" + seed)).withTimeouts(
        c.duration("hello-timeout", ServerSettings.DEFAULT_HELLO_TIMEOUT),
        c.duration("upload-idle-timeout", ServerSettings.DEFAULT_UPLOAD_IDLE_TIMEOUT));
    Integer lane = lanePort != null ? lanePort : c.has("lane-port")
        ? c.integerIn("lane-port", 0, 0, 65535, "a TCP port (0: a free one)") : null;
    if (lane != null) {
      if (settings.tls().isPresent()) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--lane-port: the byte lane is plaintext and"
            + " would carry the model and the updates that TLS protects; drop --lane-port (or 'lane-port') or TLS");
      }
      if (lane < 0 || lane > 65535) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--lane-port must be in [0, 65535], got " + lane);
      }
      settings = settings.withLane(lane);
    }
    builder.listen(settings);
    Map<dev.starling.core.message.ClientId, byte[]> clientLedgerKeys = new java.util.TreeMap<>();
    if (ledgerClientKeys != null) {
      if (ledger.ledgerSpec == null) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--ledger-client-keys needs --ledger");
      }
      if (run.privacy().secagg().isPresent() || c.has("uplink-codec")) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--ledger-client-keys: clients sign the update"
            + " the server receives; not offered with " + (run.privacy().secagg().isPresent() ? "secure aggregation (the server sees no"
            + " single update)" : "an uplink-codec (the server receives a decoded delta, not the signed parameters)"));
      }
      IdentityKeys.publicKeys(ledgerClientKeys, "--ledger-client-keys")
          .forEach((id, k) -> clientLedgerKeys.put(new dev.starling.core.message.ClientId(id), k.getEncoded()));
    }

    if (ckptDir != null) {
      CheckpointStore store = new CheckpointStore(ckptDir);
      RunState resume = resumePoint(store, discardCorruptCheckpoints || c.flag("discard-corrupt-checkpoints"), out);
      if (resume != null) {
        checkResumable(resume, modelId, strategySpec, seed, run.sync(), ckptDir);
      }
      Map<String, String> ckptMeta = new LinkedHashMap<>();
      ckptMeta.put("model", modelId);
      ckptMeta.put("strategy", strategySpec);
      ckptMeta.put("seed", Long.toString(seed));
      ckptMeta.put("sync", run.sync().policy().describe());
      builder.checkpoints(store, ckptMeta).resumeFrom(resume);
    }

    WireCompression wire = NetworkedRun.wireCompression(run);
    if (wire.active()) {
      out.printf(Locale.ROOT, "wire      %s (clients send encoded updates)%n", wire.describe());
    }
    assembly.subModels().ifPresent(m -> out.printf(Locale.ROOT,
        "submodels %s (clients train them; position-wise averaging)%n", m.describe()));
    assembly.clientPrivacy().ifPresent(required -> out.printf(Locale.ROOT,
        "privacy   clients apply %s %s; the server accounts the budget%n", required,
        assembly.dpSgd().isPresent() ? "in every local step" : "before sending"));
    try (NetworkedRun net = builder.start();
         PrometheusEndpoint prom = promPort == null ? null : PrometheusEndpoint.start(c.str("metrics-host",
             PrometheusEndpoint.DEFAULT_HOST), promPort, () -> net.server().pool().available().size());
         MetricsWriter metrics = metricsOut == null ? null : new MetricsWriter(metricsOut, clientMetrics == null ? 0 : clientMetrics);
         dev.starling.ledger.Ledger opened = ledger.open();
         dev.starling.dashboard.Dashboard dash = DashboardOptions.start(dashSettings,
             () -> net.server().pool().available().size(), opened, out)) {
      FederationServer server = net.server();
      if (portFile != null) {
        Path tmp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
        Files.writeString(tmp, Integer.toString(server.port()));
        Files.move(tmp, portFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      out.printf(Locale.ROOT, "model     %s (%,d parameters)%n", modelId, initial.size());
      out.printf(Locale.ROOT, "listening %s:%d (%s%s)%n", host, server.port(),
          settings.tls().isEmpty() ? "plaintext" : tlsClientCa != null ? "mutual TLS" : "TLS",
          settings.tokens().isEmpty() ? ", no tokens" : ", " + settings.tokens().size() + " client tokens");
      if (server.lanePort() > 0) {
        out.printf(Locale.ROOT, "lanes     byte lane on %s:%d (plaintext TCP, chunk bytes beside each stream)%n", host,
            server.lanePort());
      }
      RunState resume = net.resumedFrom().orElse(null);
      if (resume != null) {
        out.printf(Locale.ROOT, "resuming  from checkpoint of round %d in %s (%d known clients)%n", resume.round(), ckptDir,
            resume.clients().size());
      }
      if (resume != null) {
        if (metrics != null) {
          resume.history().forEach(metrics::replay);
        }
        if (dash != null) {
          resume.history().forEach(dash.listener()::onRoundEnd);
        }
      }
      assembly.networkSecureSum().ifPresent(sum -> out.printf(Locale.ROOT,
          "secagg    on (%s): clients send only masked updates%n", sum.settings().describe()));
      if (standardized != null) {
        agreeBeforeRoundOne(server, standardized.agreement, net.loopConfig(), out);
      }
      Strategy wrapped = net.strategy();
      out.printf(Locale.ROOT, "strategy  %s%n", wrapped.describe());
      List<RoundListener> ls = new ArrayList<>();
      ls.add(progress(out));
      if (metrics != null) {
        ls.add(metrics);
      }
      if (prom != null) {
        ls.add(prom.listener());
        out.printf(Locale.ROOT, "metrics   Prometheus at http://%s:%d/metrics%n", c.str("metrics-host", PrometheusEndpoint.DEFAULT_HOST),
            prom.port());
      }
      if (opened != null) {
        if (ledger.contribution != null && (serverLearner == null || standardized != null)) {
          throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--contribution needs the server's own"
              + " held-out set in its final form: not offered with a 'flat:N' model or with standardisation agreed by the"
              + " clients yet (standardize = off, or drop --contribution)");
        }
        ls.add(ledger.recorder(opened, c.runSpec().toString(), serverLearner, testSet, seed, clientLedgerKeys,
            wrapped.describe()));
        out.printf(Locale.ROOT, "ledger    %s (%d blocks so far)%s%n", LedgerOptions.where(opened), opened.blocks().size(),
            ledger.contribution == null ? "" : ", contribution " + ledger.contribution);
        if (!clientLedgerKeys.isEmpty()) {
          out.printf(Locale.ROOT, "ledger    clients sign their updates (%d keys in %s); unsigned or forged updates are refused%n",
              clientLedgerKeys.size(), ledgerClientKeys);
        }
      }
      if (dash != null) {
        ls.add(dash.listener());
      }
      if (!run.sync().synchronous()) {
        out.printf(Locale.ROOT, "sync      %s (wall clock)%n", run.sync().describe());
      }
      // the run writes its checkpoint after these listeners have seen the round, then tells the clients it is complete
      RoundLoop.Result result = net.run(Listeners.all(ls));
      if (dash != null) {
        dash.finished(result.history().stopReason());
      }
      out.println("stopped   " + result.history().stopReason());
      out.printf(Locale.ROOT, "uploads   at most %d client update(s) held in full at once (max-concurrent-uploads=%d)%n",
          server.peakUploadsInFlight(), settings.maxConcurrentUploads());
      Optional<String> allFailed = RunChecks.everyRoundFailed(result.history());
      if (allFailed.isPresent()) {
        System.err.println("error: " + allFailed.get() + (modelOut != null ? "; --model-out not written" : ""));
        return 1;
      }
      if (modelOut != null) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(ModelFiles.MODEL, modelId);
        ParameterSet aux = ParameterSet.of(List.of());
        if (testSet != null) {
          meta.put(ModelFiles.NUM_FEATURES, Integer.toString(testSet.numFeatures()));
          meta.put(ModelFiles.NUM_CLASSES, Integer.toString(testSet.numClasses()));
          // version 2: the task, labels, CSV schema and the agreed standardiser's statistics
          aux = Preprocessing.of(testSet, standardized == null ? Optional.empty() : standardized.agreement.agreed()).writeTo(meta);
        }
        meta.put("dataset", c.str("dataset", modelId.startsWith("flat:") ? "none" : "digits"));
        meta.put("strategy", assembly.strategy().describe());
        meta.put("rounds", Integer.toString(result.history().rounds().size()));
        meta.put("created_by", "starling " + Main.VERSION + " server");
        ModelFiles.write(modelOut, new ModelArchive(meta, result.global(), aux));
        out.println("model written to " + modelOut);
      }
    } finally {
      if (heap != null) {
        heap.stop();
        out.printf(Locale.ROOT, "heap      peak used %,d MiB (sampled every 20 ms), max %,d MiB%n", heap.peak() >> 20,
            Runtime.getRuntime().maxMemory() >> 20);
      }
    }
    return 0;
  }

  /** Prints every round's start and outcome (with {@code --report-heap}, this process's CPU time per round). */
  private RoundListener progress(PrintStream out) {
    return new RoundListener() {
      private long cpuAtStart;

      @Override
      public void onRoundStart(int round, int selected) {
        cpuAtStart = processCpuNanos();
        out.printf(Locale.ROOT, "round %d: %d clients selected%n", round, selected);
      }

      @Override
      public void onRoundEnd(RoundRecord r) {
        String cpu = reportHeap ? String.format(Locale.ROOT, ", server process CPU %.0f ms",
            (processCpuNanos() - cpuAtStart) / 1e6) : "";
        out.printf(Locale.ROOT, "round %d: %d/%d updates aggregated, test_accuracy=%.4f, %.2f s%s, up %,d B, down %,d B%s%n",
            r.round(), r.clientsSucceeded(), r.clientsSelected(), r.metric("test_accuracy"), r.seconds(), cpu, r.bytesUp(),
            r.bytesDown(), r.failures().isEmpty() ? "" : ", failures: " + r.failures().stream()
                .map(f -> f.client() + " " + f.code() + " (" + f.reason() + ")").toList());
        if (!r.failureReason().isEmpty()) {
          out.printf(Locale.ROOT, "round %d: failed: %s%n", r.round(), r.failureReason());
        }
      }
    };
  }

  /**
   * Waits until the clients the first round needs have reported their standardisation statistics (at most the
   * availability timeout), agrees the standardiser from every report received by then and fixes it for the
   * run; a checkpoint's standardiser replaces it when the loop resumes. Clients that join later are sent the
   * same one.
   */
  private static void agreeBeforeRoundOne(FederationServer server, AgreedStandardization.ServerSide agreement,
      RoundLoopConfig loop, PrintStream out) throws InterruptedException {
    int needed = Math.max(1, Math.max(loop.minFitClients(), loop.minAvailableClients()));
    Map<String, dev.starling.transport.grpc.wire.FeatureSums> reports = server.awaitFeatureStatistics(needed,
        loop.availabilityTimeout());
    if (reports.isEmpty()) {
      throw new dev.starling.core.error.FlException(dev.starling.core.error.ErrorCode.UNAVAILABLE, "no client reported"
          + " its standardisation statistics within the availability timeout (" + loop.availabilityTimeout() + ")");
    }
    agreement.agreed(AgreedStandardization.agree(reports.values()));
    long rows = reports.values().stream().mapToLong(dev.starling.transport.grpc.wire.FeatureSums::count).sum();
    out.printf(Locale.ROOT, "standardize statistics agreed by %d clients (%,d rows): %s%n", reports.size(), rows,
        String.join(", ", new java.util.TreeSet<>(reports.keySet())));
  }

  /** Server-side evaluation on the raw test set standardised with the agreed standardiser (cached per standardiser). */
  private static final class StandardizedEvaluation {
    private final LearnerFactory learner;
    private final LearnerContext ctx;
    private final Dataset rawTest;
    private AgreedStandardization.ServerSide agreement;
    private Standardizer usedFor;
    private Dataset test;

    StandardizedEvaluation(LearnerFactory learner, LearnerContext ctx, Dataset rawTest) {
      this.learner = learner;
      this.ctx = ctx;
      this.rawTest = rawTest;
    }

    /** The decorator that attaches the agreed standardiser to every task (around the evaluated strategy). */
    Strategy serverSide(Strategy evaluated) {
      agreement = new AgreedStandardization.ServerSide(evaluated);
      return agreement;
    }

    synchronized dev.starling.core.metrics.Metrics evaluate(ParameterSet p) {
      Standardizer s = agreement.agreed().orElseThrow(() -> new IllegalStateException("no agreed standardiser yet"));
      if (s != usedFor) {
        test = s.apply(rawTest);
        usedFor = s;
      }
      return learner.create(ctx, test).evaluate(p).metrics();
    }
  }

  /**
   * The run as {@link NetworkedRun} assembles it for a networked server: central DP applied by this server, local
   * DP by every client before its update leaves its process (the server tells them in the Welcome) while the
   * server accounts the budget, secure aggregation's decorator over the transport's secure sum. A refused
   * combination names the config file and key.
   */
  private RunAssembler.Assembly assemble(NetworkedRun.Builder builder) {
    try {
      return builder.assembly();
    } catch (InvalidRunException e) {
      throw new IllegalArgumentException((config == null ? "config" : config.toString()) + ": '" + e.setting() + "' "
          + e.problem(), e);
    }
  }

  /** The config's synchronisation mode with the --sync, --concurrency and --staleness-bound flags applied. */
  private RunSpec withSyncFlags(RunSpec run) {
    if (sync == null && concurrency == null && stalenessBound == null) {
      return run;
    }
    RunSpec.SyncMode m = sync != null ? RunSpec.SyncMode.parse(sync) : run.sync();
    if (concurrency != null) {
      m = m.withConcurrency(concurrency);
    } else if (!m.synchronous()) {
      m = m.withConcurrency(run.sync().concurrency());
    }
    if (stalenessBound != null) {
      m = m.withStalenessBound(java.util.OptionalInt.of(stalenessBound));
    } else if (!m.synchronous()) {
      m = m.withStalenessBound(run.sync().stalenessBound());
    }
    return run.withSync(m);
  }

  private void refuseWithAsync(boolean given, String what, String why) {
    if (given) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), what + " cannot be combined with --sync "
          + "(or config 'sync') " + "in an asynchronous mode: " + why + "; use --sync sync");
    }
  }

  /**
   * The checkpoint to resume from, or null for a fresh start. Checkpoint files that are all unreadable
   * stop the server (a silent fresh start would restart the metrics and the privacy budget) unless
   * {@code discard} says to start over; then an existing {@code --metrics-out} file is kept under a new
   * name rather than truncated.
   */
  private RunState resumePoint(CheckpointStore store, boolean discard, PrintStream out) throws IOException {
    if (!discard) {
      try {
        return store.latest().orElse(null);
      } catch (dev.starling.core.error.FlException e) {
        throw new dev.starling.core.error.FlException(e.code(), e.getMessage() + ": pass --discard-corrupt-checkpoints"
            + " (config 'discard-corrupt-checkpoints = true') to start a new run in " + store.directory(), e);
      }
    }
    boolean hadFiles = !store.checkpoints().isEmpty();
    RunState s = store.latest(CheckpointStore.IfNoneReadable.START_OVER).orElse(null);
    if (s == null && hadFiles) {
      out.printf(Locale.ROOT, "starting  a new run: every checkpoint in %s was unreadable and was moved aside (*.corrupt)%n",
          store.directory());
      if (metricsOut != null && Files.exists(metricsOut)) {
        Path kept = keepAside(metricsOut);
        out.printf(Locale.ROOT, "metrics   the previous %s is kept as %s%n", metricsOut, kept);
      }
    }
    return s;
  }

  /** Renames {@code file} to the first free {@code FILE.discarded-N}. */
  private static Path keepAside(Path file) throws IOException {
    for (int n = 1; ; n++) {
      Path aside = file.resolveSibling(file.getFileName() + ".discarded-" + n);
      if (!Files.exists(aside)) {
        return Files.move(file, aside);
      }
    }
  }

  /**
   * Refuses a checkpoint written by another run (model, strategy, seed) or in another synchronisation mode, before
   * the server listens.
   */
  private void checkResumable(RunState s, String model, String strategy, long seed, RunSpec.SyncMode sync, Path dir) {
    Map<String, String> m = s.metadata();
    if (!model.equals(m.getOrDefault("model", model)) || !strategy.equals(m.getOrDefault("strategy", strategy))
        || !Long.toString(seed).equals(m.getOrDefault("seed", Long.toString(seed)))) {
      throw new IllegalArgumentException("the checkpoint of round " + s.round() + " is for model " + m.get("model")
          + ", strategy " + m.get("strategy") + ", seed " + m.get("seed") + "; this configuration says " + model + ", "
          + strategy + ", " + seed + ". Use another --checkpoint-dir to start a new run.");
    }
    String wroteMode = m.get("sync");
    if (s.async().isPresent() == sync.synchronous()
        || (wroteMode != null && !wroteMode.equals(sync.policy().describe()))) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--checkpoint-dir " + dir
          + ": the checkpoint of round " + s.round() + " is of " + (s.async().isPresent()
          ? "an asynchronous run (sync " + (wroteMode == null ? "?" : wroteMode) + ")"
          : "a synchronous run") + " but this run's sync mode is " + sync.policy().describe()
          + "; resume it in the mode that wrote it, or use another --checkpoint-dir to start a new run");
    }
  }

  private Optional<TlsFiles> tls() {
    if (tlsCert == null && tlsKey == null && tlsClientCa == null) {
      return Optional.empty();
    }
    if (tlsCert == null || tlsKey == null) {
      throw new IllegalArgumentException("TLS needs both --tls-cert and --tls-key");
    }
    return Optional.of(new TlsFiles(Optional.of(tlsCert), Optional.of(tlsKey), Optional.ofNullable(tlsClientCa)));
  }

  private Map<String, String> readTokens() throws IOException {
    return readTokens(tokens);
  }

  /** A token file, one 'ID TOKEN' per line ('#' comments); empty for null (tokens off). Also read by {@code peer}. */
  static Map<String, String> readTokens(Path tokens) throws IOException {
    if (tokens == null) {
      return Map.of();
    }
    Map<String, String> t = new LinkedHashMap<>();
    List<String> lines = Files.readAllLines(tokens, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\\s+");
      if (parts.length != 2) {
        throw new IllegalArgumentException(tokens + " line " + (i + 1) + ": expected 'CLIENT_ID TOKEN', got "
            + parts.length + " fields");
      }
      if (t.put(parts[0], parts[1]) != null) {
        throw new IllegalArgumentException(tokens + " line " + (i + 1) + ": client '" + parts[0] + "' listed twice");
      }
    }
    if (t.isEmpty()) {
      throw new IllegalArgumentException(tokens + ": no tokens (expected lines 'CLIENT_ID TOKEN')");
    }
    return t;
  }

  /** CPU time of this whole process (every thread, GC included), or 0 where the JVM does not report it. */
  static long processCpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
        ? os.getProcessCpuTime() : 0;
  }

  /** Polls heap usage; the peak of used heap over the run. */
  static final class HeapSampler {
    private final AtomicLong peak = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    private HeapSampler() {
      var mx = ManagementFactory.getMemoryMXBean();
      thread = Thread.ofPlatform().daemon().name("heap-sampler").start(() -> {
        while (running) {
          peak.accumulateAndGet(mx.getHeapMemoryUsage().getUsed(), Math::max);
          try {
            Thread.sleep(20);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
    }

    static HeapSampler start() {
      return new HeapSampler();
    }

    void stop() {
      running = false;
      thread.interrupt();
    }

    long peak() {
      return peak.get();
    }
  }
}
