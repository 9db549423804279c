package dev.starling.cli;

import dev.starling.core.io.ModelArchive;
import dev.starling.data.Dataset;
import dev.starling.data.LoadedData;
import dev.starling.data.Preprocessing;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.learners.Learners;
import dev.starling.run.InvalidRunException;
import dev.starling.run.Listeners;
import dev.starling.run.RunAssembler;
import dev.starling.run.RunSpec;
import dev.starling.run.SimulatedRun;
import dev.starling.core.error.FlException;
import dev.starling.server.CheckpointStore;
import dev.starling.server.RunState;
import dev.starling.server.RoundLoop;
import dev.starling.simulation.adversary.Adversity;
import dev.starling.simulation.adversary.Attack;
import dev.starling.simulation.partition.Partitioners;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code starling simulate}: federated training with virtual clients in this JVM. */
@Command(name = "simulate", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Trains a model with N virtual clients in one JVM and prints a results table.",
        "With no arguments: 10 clients train an MLP on the bundled 8x8 digits, IID, 20 rounds."})
final class SimulateCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  DataOptions data = new DataOptions();

  @Option(names = "--partition", paramLabel = "SPEC", defaultValue = RunSpec.Defaults.PARTITION,
      description = "iid | dirichlet:ALPHA | shards:K | quantity:SIGMA | by:COLUMN. Default: ${DEFAULT-VALUE}.")
  String partition;

  @Option(names = "--clients", paramLabel = "N", defaultValue = "" + RunSpec.Defaults.CLIENTS, description = "Virtual clients. Default: ${DEFAULT-VALUE}.")
  int clients;

  @Option(names = "--fraction", paramLabel = "C", defaultValue = "" + RunSpec.Defaults.FRACTION, description = "Fraction of clients per round. Default: ${DEFAULT-VALUE}.")
  double fraction;

  @Option(names = "--min-clients", paramLabel = "K", defaultValue = "" + RunSpec.Defaults.MIN_CLIENTS, description = "Minimum clients per round (capped at --clients). Default: ${DEFAULT-VALUE}.")
  int minClients;

  @Option(names = "--rounds", paramLabel = "R", defaultValue = "" + RunSpec.Defaults.ROUNDS, description = "Round budget. Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = {"--local-epochs", "--epochs"}, paramLabel = "E", defaultValue = "" + RunSpec.Defaults.LOCAL_EPOCHS, description = "Local epochs per round. Default: ${DEFAULT-VALUE}.")
  int localEpochs;

  @Option(names = {"--batch-size", "--batch"}, paramLabel = "B", defaultValue = "" + RunSpec.Defaults.BATCH_SIZE, description = "Local mini-batch size. Default: ${DEFAULT-VALUE}.")
  int batchSize;

  @Option(names = "--lr", paramLabel = "LR", defaultValue = "" + RunSpec.Defaults.LR, description = "Local learning rate. Default: ${DEFAULT-VALUE}.")
  double lr;

  @Option(names = "--momentum", defaultValue = "" + RunSpec.Defaults.MOMENTUM, description = "Local SGD momentum. Default: ${DEFAULT-VALUE}.")
  double momentum;

  @Option(names = "--weight-decay", defaultValue = "" + RunSpec.Defaults.WEIGHT_DECAY, description = "Local L2 weight decay. Default: ${DEFAULT-VALUE}.")
  double weightDecay;

  @Option(names = "--strategy", paramLabel = "SPEC", defaultValue = RunSpec.Defaults.STRATEGY,
      description = "fedavg | avg | fedprox:MU | fedavgm[:ETA[,BETA]] | fedadam[:ETA] | fedyogi[:ETA] | fedadagrad[:ETA] | fednova | scaffold[:ETA_G] | median | trimmed:BETA | krum:F | multikrum:F[,M] | bulyan:F | normbound:MAXNORM. Default: ${DEFAULT-VALUE}.")
  String strategy;

  @Option(names = "--model", paramLabel = "SPEC", defaultValue = RunSpec.Defaults.MODEL, description = "logreg | mlp:H1,H2,... | NAME[:ARGS] of a learner provider on the class path. Default: ${DEFAULT-VALUE}.")
  String model;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "" + RunSpec.Defaults.SEED, description = "Seed of every random choice. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--dropout", paramLabel = "P", defaultValue = "" + RunSpec.Defaults.DROPOUT, description = "Probability a selected client drops out of a round. Default: ${DEFAULT-VALUE}.")
  double dropout;

  @Option(names = "--attack", paramLabel = "SPEC", defaultValue = "none",
      description = "What malicious clients do: none | sign-flip[:S] | scale:GAMMA | gaussian:SIGMA | label-flip. Default: ${DEFAULT-VALUE}.")
  String attack;

  @Option(names = "--malicious", paramLabel = "F", defaultValue = "0",
      description = "Fraction of clients that are malicious (needs --attack). Default: ${DEFAULT-VALUE}.")
  double maliciousFraction;

  @Option(names = "--stragglers", paramLabel = "P", defaultValue = "0",
      description = "Probability that a selected client straggles and runs only 1..E-1 local epochs. Default: ${DEFAULT-VALUE}.")
  double stragglers;

  @Option(names = "--drop-stragglers", description = "Drop stragglers' partial work (FedAvg in the FedProx paper) instead of keeping it.")
  boolean dropStragglers;

  @Option(names = "--threads", paramLabel = "T", description = "Worker threads for local training. Default: available processors.")
  Integer threads;

  @Option(names = "--standardize", paramLabel = "auto|on|off", defaultValue = "auto",
      description = "Z-score standardisation with statistics agreed by the clients (summed counts, sums, sums of squares),"
          + " saved in the model (auto: on for CSV data, off for images and text). Default: ${DEFAULT-VALUE}.")
  String standardize;

  @Option(names = "--target-accuracy", paramLabel = "A", description = "Stop once test accuracy reaches A.")
  Double targetAccuracy;

  @Option(names = "--target", paramLabel = "METRIC=VALUE",
      description = "Stop once a test metric reaches VALUE, e.g. test_r2=0.6 or test_rmse=500 (lower is better for"
          + " loss, rmse, mae, perplexity; higher for accuracy, auc, r2).")
  String target;

  @Option(names = "--min-successful-clients", paramLabel = "K", defaultValue = "" + RunSpec.Defaults.MIN_SUCCESSFUL_CLIENTS,
      description = "A round's aggregate is applied only if at least K updates arrived. Default: ${DEFAULT-VALUE}.")
  int minSuccessful;

  @Option(names = "--round-retries", paramLabel = "N", defaultValue = "" + RunSpec.Defaults.ROUND_RETRIES,
      description = "Run a round that fell short of --min-successful-clients again, up to N times. Default: ${DEFAULT-VALUE}.")
  int roundRetries;

  @Option(names = "--plateau", paramLabel = "ROUNDS", description = "Stop when the training loss has not improved by 1e-4 for this many rounds.")
  Integer plateau;

  @Option(names = "--round-timeout", paramLabel = "DURATION", defaultValue = RunSpec.Defaults.ROUND_TIMEOUT,
      description = "Round deadline (e.g. 30s, 5m), on the virtual clock: a client whose simulated job is longer"
          + " misses the round. Default: ${DEFAULT-VALUE}.")
  String roundTimeout;

  @Option(names = "--sync", paramLabel = "MODE", defaultValue = "sync",
      description = "sync | async[:ALPHA[,STALENESS]] (FedAsync) | buffered:K[,ETA] (FedBuff) | semi-sync:DEADLINE"
          + " | periodic:T | event:THRESHOLD[,MAXINTERVAL]; STALENESS: constant | poly:A | hinge:A,B; times in"
          + " simulated seconds. Default: ${DEFAULT-VALUE}.")
  String sync;

  @Option(names = "--concurrency", paramLabel = "N", defaultValue = "0",
      description = "Clients training at once in async, buffered and periodic modes (0: clients per round).")
  int concurrency;

  @Option(names = "--staleness-bound", paramLabel = "S",
      description = "Drop updates more than S model versions old (asynchronous modes), recorded as failures.")
  Integer stalenessBound;

  @Option(names = "--client-speed", paramLabel = "DIST", defaultValue = "10000",
      description = "Clients' training speed in samples/s on the virtual clock: V | lognormal:MU,SIGMA |"
          + " uniform:LO,HI. Default: ${DEFAULT-VALUE}.")
  String clientSpeed;

  @Option(names = "--client-link", paramLabel = "BW[/LAT]", defaultValue = "10/0.05",
      description = "Clients' link: bandwidth in MB/s and one-way latency in s, each a distribution as for"
          + " --client-speed. Default: ${DEFAULT-VALUE}.")
  String clientLink;

  @Option(names = "--client-trace", paramLabel = "FILE",
      description = "CSV of every client's speed, link and availability windows on the virtual clock (header"
          + " client,speed,bandwidth,latency,availability; windows START-END;... in simulated s), replacing"
          + " --client-speed, --client-link and --slow-fraction. Windows need an asynchronous --sync mode.")
  java.nio.file.Path clientTrace;

  @Option(names = "--slow-fraction", paramLabel = "F", defaultValue = "0",
      description = "Fraction of clients that train --slow-factor times slower. Default: ${DEFAULT-VALUE}.")
  double slowFraction;

  @Option(names = "--slow-factor", paramLabel = "K", defaultValue = "10",
      description = "How many times slower the --slow-fraction clients train. Default: ${DEFAULT-VALUE}.")
  double slowFactor;

  @Option(names = "--p2p", paramLabel = "TOPOLOGY",
      description = "Decentralised training without a server: the clients are peers that gossip with their neighbours"
          + " on " + dev.starling.p2p.Topology.FORMS + " (every peer trains every round; --fraction does not apply).")
  String p2p;

  @Option(names = "--gossip", paramLabel = "MODE", defaultValue = RunSpec.Defaults.GOSSIP,
      description = "With --p2p: " + dev.starling.p2p.GossipMode.FORMS + " (CHOCO-SGD compresses with --uplink-codec)."
          + " Default: ${DEFAULT-VALUE}.")
  String gossip;

  @Option(names = "--robust-gossip", paramLabel = "clip[:TAU]",
      description = "With --p2p: self-centred clipping of neighbours' models (radius TAU, or adaptive: the median"
          + " neighbour distance) against Byzantine peers (--attack, --malicious).")
  String robustGossip;

  @Mixin
  CommunicationOptions communication = new CommunicationOptions();

  @Mixin
  PrivacyOptions privacy = new PrivacyOptions();

  @Mixin
  LedgerOptions ledger = new LedgerOptions();

  @Mixin
  DashboardOptions dashboard = new DashboardOptions();

  @Option(names = "--metrics-out", paramLabel = "FILE", description = "Write one JSON object per round (JSON Lines).")
  Path metricsOut;

  @picocli.CommandLine.Option(names = "--client-metrics", paramLabel = "MAX", arity = "0..1",
      fallbackValue = "" + MetricsWriter.DEFAULT_CLIENT_CAP,
      description = "Add per-client rows (examples, loss, seconds, bytes) to every --metrics-out line, at most MAX per"
          + " round (the lowest client ids; the rest counted in clients_omitted). Default MAX: ${FALLBACK-VALUE}.")
  Integer clientMetrics;

  @Option(names = "--model-out", paramLabel = "FILE", description = "Write the final global model with its preprocessing (Starling model format v2).")
  Path modelOut;

  @Option(names = "--checkpoint-dir", paramLabel = "DIR",
      description = "Write a checkpoint after every round (every aggregation in the asynchronous modes) to DIR (model, strategy and privacy state, history, every client's state; the newest two are kept).")
  Path checkpointDir;

  @Option(names = "--resume", description = "Continue the run checkpointed in --checkpoint-dir from its latest intact checkpoint;"
      + " with the same flags the result is bit-for-bit the uninterrupted run's.")
  boolean resume;

  @Override
  public Integer call() throws Exception {
    PrintStream out = spec.commandLine().getOut() == null ? System.out : new PrintStream(System.out, true);
    if (modelOut != null) {
      RunChecks.requireWritableFile(spec.commandLine(), "--model-out", modelOut);
    }
    if (metricsOut != null) {
      RunChecks.requireWritableFile(spec.commandLine(), "--metrics-out", metricsOut);
    }
    RunChecks.checkClientMetrics(spec.commandLine(), clientMetrics, metricsOut);
    CheckpointStore store = null;
    RunState from = null;
    if (checkpointDir != null) {
      RunChecks.requireWritableDirectory(spec.commandLine(), "--checkpoint-dir", checkpointDir);
      store = new CheckpointStore(checkpointDir);
      try {
        from = store.startingPoint(resume).orElse(null);
      } catch (FlException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--checkpoint-dir " + checkpointDir + ": " + e.getMessage()
            + (resume ? "" : " (--resume continues it)"));
      }
    } else if (resume) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--resume needs --checkpoint-dir DIR");
    }
    ledger.check(spec.commandLine());
    RunSpec run = runSpec();
    dev.starling.dashboard.DashboardSettings dashSettings = dashboard.settings(spec.commandLine(),
        "simulate: " + model + " on " + data.dataset + ", " + strategy + ", " + clients + " clients", rounds,
        run.privacy().targetEpsilon(), ledger.ledgerSpec != null);
    if (run.p2p().isPresent()) {
      if (checkpointDir != null || ledger.ledgerSpec != null) {
        throw new CommandLine.ParameterException(spec.commandLine(), (checkpointDir != null ? "--checkpoint-dir"
            : "--ledger") + " cannot be combined with --p2p yet: it records a server's rounds, and p2p has no server");
      }
    } else if (!run.sync().synchronous() && ledger.ledgerSpec != null) {
      // as the server refuses it: the asynchronous driver has no rounds of participants to put in blocks
      throw new CommandLine.ParameterException(spec.commandLine(), "--ledger cannot be combined with --sync " + sync
          + ": a ledger block records one round's participants, which the asynchronous modes do not have; use"
          + " --sync sync");
    } else if (!gossip.equals(RunSpec.Defaults.GOSSIP) || robustGossip != null) {
      throw new CommandLine.ParameterException(spec.commandLine(), (robustGossip != null ? "--robust-gossip" : "--gossip")
          + " needs --p2p TOPOLOGY");
    }
    Optional<String> key = partition.startsWith("by:") ? Optional.of(partition.substring(3)) : Optional.empty();
    boolean std = switch (standardize.toLowerCase(Locale.ROOT)) {
      case "on" -> true;
      case "off" -> false;
      case "auto" -> !data.isImageData();
      default -> throw new InvalidRunException("standardize", "must be auto, on or off. Provided value: " + standardize);
    };
    int workers = threads != null ? threads : Runtime.getRuntime().availableProcessors();
    // assembled (and refused) before any data is loaded, let alone round 1
    RunAssembler.assemble(run, RunAssembler.Target.SIMULATION);
    LoadedData loaded = data.load(seed, key);
    Dataset train0 = loaded.train();
    out.printf(Locale.ROOT, "dataset   %s%n", loaded.description());
    out.printf(Locale.ROOT, "          train %d rows, test %d rows, %d features, %s%n", train0.size(),
        loaded.test().size(), train0.numFeatures(), TargetMetric.describeOutputs(train0));

    if (run.p2p().isPresent()) {
      return runP2p(out, run, loaded, train0, workers, std);
    }
    long t0 = System.nanoTime();
    try (SimulatedRun sim = SimulatedRun.create(run, train0, loaded.test(), workers, std);
         ProgressReporter progress = new ProgressReporter(ProgressReporter.isTerminal(), out, rounds);
         MetricsWriter metrics = metricsOut == null ? null : new MetricsWriter(metricsOut, clientMetrics == null ? 0 : clientMetrics);
         dev.starling.ledger.Ledger opened = ledger.open();
         dev.starling.dashboard.Dashboard dash = DashboardOptions.start(dashSettings,
             () -> sim.simulation().clients().size(), opened, out)) {
      int n = sim.simulation().clients().size();
      String modelId = Learners.parse(model).id();
      RunAssembler.Assembly a = sim.assembly();
      out.printf(Locale.ROOT, "model     %s (%,d parameters)%n", modelId, sim.simulation().initialParameters().size());
      out.printf(Locale.ROOT, "strategy  %s%n", sim.strategy().describe());
      out.printf(Locale.ROOT, "clients   %d (%s), C=%s, E=%d, B=%d, lr=%s, dropout=%s, seed=%d, threads=%d, standardize=%s%n",
          n, Partitioners.parse(partition).describe(), fraction, localEpochs, batchSize, lr, dropout, seed, workers,
          std ? "agreed by the clients" : "off");
      Adversity adversity = run.population().adversity();
      if (!adversity.equals(Adversity.none())) {
        out.printf(Locale.ROOT, "adversity %s%n", adversity.describe());
      }
      if (!run.sync().synchronous()) {
        out.printf(Locale.ROOT, "sync      %s (virtual clock: %s)%n", run.sync().describe(),
            run.population().clock().describe());
      }
      if (!a.communication().isNone()) {
        out.printf(Locale.ROOT, "codecs    %s%n", a.communication().describe());
      }
      a.subModels().ifPresent(sm -> out.printf(Locale.ROOT, "submodels %s%n", sm.describe()));
      if (from != null) {
        try {
          from.checkMetadata(sim.checkpointMetadata(), checkpointDir.toString());
        } catch (FlException e) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--resume: " + e.getMessage());
        }
        out.printf(Locale.ROOT, "resuming  from the checkpoint of round %d in %s%n", from.round(), checkpointDir);
        if (metrics != null) {
          from.history().forEach(metrics::replay);
        }
        if (dash != null) {
          from.history().forEach(dash.listener()::onRoundEnd);
        }
      }
      dev.starling.server.LedgerRecorder recorder = opened == null ? null
          : ledger.recorder(opened, run.toString(), Learners.parse(model), sim.simulation().testSet(), seed, Map.of(),
              sim.strategy().describe());
      if (opened != null) {
        out.printf(Locale.ROOT, "ledger    %s (%d blocks so far)%s%n", LedgerOptions.where(opened), opened.blocks().size(),
            ledger.contribution == null ? "" : ", contribution " + ledger.contribution + ", reward budget " + ledger.rewardBudget + " per round");
      }
      RoundLoop.Result result = sim.run(Listeners.all(progress, metrics, recorder,
          dash == null ? null : dash.listener()), store, from);
      if (dash != null) {
        dash.finished(result.history().stopReason());
      }
      double total = (System.nanoTime() - t0) / 1e9;
      ResultTable.print(out, result.history(), sim.simulation().trainingStats(), total, train0.task());
      Optional<String> allFailed = RunChecks.everyRoundFailed(result.history());
      if (allFailed.isPresent()) {
        System.err.println("error: " + allFailed.get() + (modelOut != null ? "; --model-out not written" : ""));
        return 1;
      }
      if (modelOut != null) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(ModelFiles.MODEL, modelId);
        meta.put(ModelFiles.NUM_FEATURES, Integer.toString(train0.numFeatures()));
        meta.put(ModelFiles.NUM_CLASSES, Integer.toString(train0.numClasses()));
        ParameterSet aux = Preprocessing.of(train0, sim.simulation().standardizer()).writeTo(meta);
        meta.put("dataset", data.dataset);
        meta.put("strategy", sim.strategy().describe());
        meta.put("partition", Partitioners.parse(partition).describe());
        meta.put("rounds", Integer.toString(result.history().rounds().size()));
        meta.put("seed", Long.toString(seed));
        meta.put("created_by", "starling " + Main.VERSION);
        ModelFiles.write(modelOut, new ModelArchive(meta, result.global(), aux));
        out.println("model written to " + modelOut);
      }
      if (metricsOut != null) {
        out.println("metrics written to " + metricsOut);
      }
      if (opened != null) {
        out.printf(Locale.ROOT, "ledger    %d blocks in %s%n", opened.blocks().size(), LedgerOptions.where(opened));
      }
    }
    return 0;
  }

  /** {@code --p2p}: the peers gossip; the results table and files describe the honest peers' averaged model. */
  private int runP2p(PrintStream out, RunSpec run, LoadedData loaded, Dataset train0, int workers, boolean std)
      throws Exception {
    long t0 = System.nanoTime();
    try (dev.starling.run.P2pRun p2pRun = dev.starling.run.P2pRun.create(run, train0, loaded.test(), workers, std);
         ProgressReporter progress = new ProgressReporter(ProgressReporter.isTerminal(), out, rounds);
         MetricsWriter metrics = metricsOut == null ? null : new MetricsWriter(metricsOut)) {
      String modelId = Learners.parse(model).id();
      out.printf(Locale.ROOT, "model     %s (%,d parameters)%n", modelId, p2pRun.initialParameters().size());
      out.printf(Locale.ROOT, "p2p       %s (no server)%n", p2pRun.config().describe());
      out.printf(Locale.ROOT, "peers     %d (%s), E=%d, B=%d, lr=%s, seed=%d, threads=%d, standardize=%s%n",
          clients, Partitioners.parse(partition).describe(), localEpochs, batchSize, lr, seed, workers,
          std ? "agreed by the peers" : "off");
      Adversity adversity = run.population().adversity();
      if (!adversity.equals(Adversity.none())) {
        out.printf(Locale.ROOT, "adversity %s (Byzantine peers %s)%n", adversity.describe(),
            p2pRun.data().maliciousClients().stream().map(c -> c.value()).sorted().toList());
      }
      RoundLoop.Result result = p2pRun.run(Listeners.all(progress, metrics));
      double total = (System.nanoTime() - t0) / 1e9;
      ResultTable.print(out, result.history(), p2pRun.data().trainingStats(), total, train0.task());
      var last = result.history().last();
      if (last.isPresent()) {
        var r = last.get();
        String main = train0.task() == dev.starling.core.learner.Task.REGRESSION ? "rmse" : "accuracy";
        out.printf(Locale.ROOT, "peers' own test %s: min %.4f, median %.4f, max %.4f; consensus distance %.4g;"
            + " %.2f MB sent per peer in %d rounds%n", main, r.metric("peer_" + main + "_min"),
            r.metric("peer_" + main + "_median"), r.metric("peer_" + main + "_max"),
            r.metric(dev.starling.p2p.GossipSimulation.CONSENSUS), result.history().rounds().stream()
                .mapToDouble(x -> x.metric(dev.starling.p2p.GossipSimulation.BYTES_PER_PEER)).sum() / 1e6,
            result.history().rounds().size());
      }
      if (modelOut != null) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(ModelFiles.MODEL, modelId);
        meta.put(ModelFiles.NUM_FEATURES, Integer.toString(train0.numFeatures()));
        meta.put(ModelFiles.NUM_CLASSES, Integer.toString(train0.numClasses()));
        ParameterSet aux = Preprocessing.of(train0, p2pRun.data().standardizer()).writeTo(meta);
        meta.put("dataset", data.dataset);
        meta.put("p2p", p2pRun.config().describe());
        meta.put("partition", Partitioners.parse(partition).describe());
        meta.put("rounds", Integer.toString(result.history().rounds().size()));
        meta.put("seed", Long.toString(seed));
        meta.put("created_by", "starling " + Main.VERSION);
        ModelFiles.write(modelOut, new ModelArchive(meta, result.global(), aux));
        out.println("model (the honest peers' average) written to " + modelOut);
      }
      if (metricsOut != null) {
        out.println("metrics written to " + metricsOut);
      }
    }
    return 0;
  }

  /** The virtual clock: drawn from the distributions, or every client's row of {@code --client-trace}. */
  private dev.starling.simulation.clock.ClientClock clock() {
    dev.starling.simulation.clock.ClientClock c = RunSpec.Population.clock(clientSpeed, clientLink, slowFraction,
        slowFactor);
    if (clientTrace == null) {
      return c;
    }
    try (java.io.Reader r = java.nio.file.Files.newBufferedReader(clientTrace, java.nio.charset.StandardCharsets.UTF_8)) {
      return c.withTrace(dev.starling.simulation.clock.ClientTrace.read(r, clientTrace.toString()));
    } catch (dev.starling.data.DataFormatException e) {
      throw new InvalidRunException("client-trace", e.getMessage());
    } catch (java.io.IOException e) {
      throw new InvalidRunException("client-trace", "cannot read " + clientTrace + ": " + e);
    }
  }

  /** The flags as a run specification (each flag is the setting of the same name). */
  RunSpec runSpec() {
    Attack a = InvalidRunException.wrapAs("attack", () -> Attack.parse(attack));
    Adversity adversity = InvalidRunException.wrapAs("malicious",
        () -> new Adversity(a, maliciousFraction, stragglers, dropStragglers));
    RunSpec.Loop loop = new RunSpec.Loop(rounds, fraction, minClients, OptionalInt.empty(), minSuccessful, roundRetries,
        RunSpec.Defaults.FRACTION_EVALUATE, dev.starling.run.Durations.parse(roundTimeout, "round-timeout"),
        RunSpec.Loop.defaults().availabilityTimeout(),
        targetAccuracy == null ? OptionalDouble.empty() : OptionalDouble.of(targetAccuracy),
        plateau == null ? OptionalInt.empty() : OptionalInt.of(plateau),
        target == null ? Optional.empty() : Optional.of(RunSpec.MetricTarget.parse(target)));
    return new RunSpec(model, strategy, seed, new RunSpec.Training(localEpochs, batchSize, lr, momentum, weightDecay), loop,
        privacy.privacy(), communication.compression(), communication.subModels(),
        new RunSpec.Population(clients, partition, dropout, adversity,
            clock()),
        RunSpec.SyncMode.parse(sync).withConcurrency(concurrency)
            .withStalenessBound(stalenessBound == null ? OptionalInt.empty() : OptionalInt.of(stalenessBound)),
        p2p == null ? Optional.empty()
            : Optional.of(new RunSpec.P2p(p2p, gossip, Optional.ofNullable(robustGossip))));
  }
}
