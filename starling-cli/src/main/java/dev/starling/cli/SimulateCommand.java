package dev.starling.cli;

import dev.starling.core.io.ModelArchive;
import dev.starling.core.learner.TrainConfig;
import dev.starling.data.Dataset;
import dev.starling.data.LoadedData;
import dev.starling.learners.ModelSpec;
import dev.starling.core.error.FlException;
import dev.starling.server.CheckpointStore;
import dev.starling.server.RoundListener;
import dev.starling.server.RunState;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.server.RoundRecord;
import dev.starling.server.StopCondition;
import dev.starling.learners.submodel.SubModelConfig;
import dev.starling.simulation.Communication;
import dev.starling.simulation.Simulation;
import dev.starling.simulation.SimulationConfig;
import dev.starling.simulation.adversary.Adversity;
import dev.starling.simulation.adversary.Attack;
import dev.starling.simulation.partition.Partitioner;
import dev.starling.simulation.partition.Partitioners;
import dev.starling.strategy.Strategies;
import dev.starling.strategy.Strategy;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
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

  @Option(names = "--partition", paramLabel = "SPEC", defaultValue = "iid",
      description = "iid | dirichlet:ALPHA | shards:K | quantity:SIGMA | by:COLUMN. Default: ${DEFAULT-VALUE}.")
  String partition;

  @Option(names = "--clients", paramLabel = "N", defaultValue = "10", description = "Virtual clients. Default: ${DEFAULT-VALUE}.")
  int clients;

  @Option(names = "--fraction", paramLabel = "C", defaultValue = "0.5", description = "Fraction of clients per round. Default: ${DEFAULT-VALUE}.")
  double fraction;

  @Option(names = "--min-clients", paramLabel = "K", defaultValue = "1", description = "Minimum clients per round. Default: ${DEFAULT-VALUE}.")
  int minClients;

  @Option(names = "--rounds", paramLabel = "R", defaultValue = "20", description = "Round budget. Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = "--local-epochs", paramLabel = "E", defaultValue = "2", description = "Local epochs per round. Default: ${DEFAULT-VALUE}.")
  int localEpochs;

  @Option(names = "--batch-size", paramLabel = "B", defaultValue = "16", description = "Local mini-batch size. Default: ${DEFAULT-VALUE}.")
  int batchSize;

  @Option(names = "--lr", paramLabel = "LR", defaultValue = "0.1", description = "Local learning rate. Default: ${DEFAULT-VALUE}.")
  double lr;

  @Option(names = "--momentum", defaultValue = "0", description = "Local SGD momentum. Default: ${DEFAULT-VALUE}.")
  double momentum;

  @Option(names = "--weight-decay", defaultValue = "0", description = "Local L2 weight decay. Default: ${DEFAULT-VALUE}.")
  double weightDecay;

  @Option(names = "--strategy", paramLabel = "SPEC", defaultValue = "fedavg",
      description = "fedavg | avg | fedprox:MU | fedavgm[:ETA[,BETA]] | fedadam[:ETA] | fedyogi[:ETA] | fedadagrad[:ETA] | fednova | scaffold[:ETA_G] | median | trimmed:BETA | krum:F | multikrum:F[,M] | bulyan:F | normbound:MAXNORM. Default: ${DEFAULT-VALUE}.")
  String strategy;

  @Option(names = "--model", paramLabel = "SPEC", defaultValue = "mlp:64", description = "logreg | mlp:H1,H2,... Default: ${DEFAULT-VALUE}.")
  String model;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Seed of every random choice. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--dropout", paramLabel = "P", defaultValue = "0", description = "Probability a selected client drops out of a round. Default: ${DEFAULT-VALUE}.")
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
      description = "Per-client z-score standardisation (auto: on for CSV data, off for images). Default: ${DEFAULT-VALUE}.")
  String standardize;

  @Option(names = "--target-accuracy", paramLabel = "A", description = "Stop once test accuracy reaches A.")
  Double targetAccuracy;

  @Option(names = "--plateau", paramLabel = "ROUNDS", description = "Stop when the training loss has not improved by 1e-4 for this many rounds.")
  Integer plateau;

  @Mixin
  CommunicationOptions communication = new CommunicationOptions();

  @Mixin
  PrivacyOptions privacy = new PrivacyOptions();

  @Option(names = "--metrics-out", paramLabel = "FILE", description = "Write one JSON object per round (JSON Lines).")
  Path metricsOut;

  @Option(names = "--model-out", paramLabel = "FILE", description = "Write the final global model (Starling model format v1).")
  Path modelOut;

  @Option(names = "--checkpoint-dir", paramLabel = "DIR",
      description = "Write a checkpoint after every round to DIR (model, strategy and privacy state, history, every client's state; the newest two are kept).")
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
    ModelSpec modelSpec = ModelSpec.parse(model);
    Partitioner partitioner = Partitioners.parse(partition);
    SubModelConfig subModels = communication.subModels(seed, privacy.localDp(), privacy.delta);
    Strategy strat = privacy.wrap(communication.pruned(CommunicationOptions.adapt(Strategies.parse(strategy), subModels)), seed,
        subModels != null);
    Optional<String> key = partition.startsWith("by:") ? Optional.of(partition.substring(3)) : Optional.empty();
    LoadedData loaded = data.load(seed, key);
    boolean std = switch (standardize.toLowerCase(Locale.ROOT)) {
      case "on" -> true;
      case "off" -> false;
      case "auto" -> !data.isImageData();
      default -> throw new IllegalArgumentException("--standardize must be auto, on or off. Provided value: " + standardize);
    };
    int workers = threads != null ? threads : Runtime.getRuntime().availableProcessors();
    Adversity adversity = new Adversity(Attack.parse(attack), maliciousFraction, stragglers, dropStragglers);
    Communication comm = communication.communication();
    SimulationConfig simCfg = new SimulationConfig(modelSpec, partitioner, clients, dropout, workers, std, seed, adversity,
        comm, subModels);
    TrainConfig train = TrainConfig.builder().localEpochs(localEpochs).batchSize(batchSize).learningRate(lr)
        .momentum(momentum).weightDecay(weightDecay).build();
    List<StopCondition> stops = new ArrayList<>();
    if (targetAccuracy != null) {
      stops.add(StopCondition.target("test_accuracy", targetAccuracy, true));
    }
    if (plateau != null) {
      stops.add(StopCondition.trainLossPlateau(plateau));
    }
    PrivacyOptions.addStops(strat, stops);
    Dataset train0 = loaded.train();
    out.printf(Locale.ROOT, "dataset   %s%n", loaded.description());
    out.printf(Locale.ROOT, "          train %d rows, test %d rows, %d features, %d classes%n", train0.size(),
        loaded.test().size(), train0.numFeatures(), train0.numClasses());

    long t0 = System.nanoTime();
    try (Simulation sim = new Simulation(simCfg, train0, loaded.test());
         ProgressReporter progress = new ProgressReporter(ProgressReporter.isTerminal(), out, rounds);
         MetricsWriter metrics = metricsOut == null ? null : new MetricsWriter(metricsOut)) {
      int n = sim.clients().size();
      PrivacyOptions.plan(strat, sim.clients().stream().map(c -> c.data().size()).toList(), localEpochs, batchSize);
      RoundLoopConfig loopCfg = RoundLoopConfig.builder().rounds(rounds).fractionFit(fraction)
          .minFitClients(Math.min(minClients, n)).trainDefaults(train).stopConditions(stops).seed(seed).build();
      out.printf(Locale.ROOT, "model     %s (%,d parameters)%n", modelSpec.id(),
          modelSpec.parameterCount(train0.numFeatures(), train0.numClasses()));
      out.printf(Locale.ROOT, "strategy  %s%n", strat.describe());
      out.printf(Locale.ROOT, "clients   %d (%s), C=%s, E=%d, B=%d, lr=%s, dropout=%s, seed=%d, threads=%d, standardize=%s%n",
          n, partitioner.describe(), fraction, localEpochs, batchSize, lr, dropout, seed, workers, std ? "per-client" : "off");
      if (!adversity.equals(Adversity.none())) {
        out.printf(Locale.ROOT, "adversity %s%n", adversity.describe());
      }
      if (!comm.isNone()) {
        out.printf(Locale.ROOT, "codecs    %s%n", comm.describe());
      }
      if (subModels != null) {
        out.printf(Locale.ROOT, "submodels %s%n", subModels.describe());
      }
      if (from != null) {
        try {
          from.checkMetadata(sim.checkpointMetadata(strat), checkpointDir.toString());
        } catch (FlException e) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--resume: " + e.getMessage());
        }
        out.printf(Locale.ROOT, "resuming  from the checkpoint of round %d in %s%n", from.round(), checkpointDir);
        if (metrics != null) {
          from.history().forEach(metrics::onRoundEnd);
        }
      }
      RoundListener listeners = combine(progress, metrics);
      RoundLoop.Result result = sim.run(strat, loopCfg, listeners, store, from);
      double total = (System.nanoTime() - t0) / 1e9;
      ResultTable.print(out, result.history(), sim.trainingStats(), total);
      Optional<String> allFailed = RunChecks.everyRoundFailed(result.history());
      if (allFailed.isPresent()) {
        System.err.println("error: " + allFailed.get() + (modelOut != null ? "; --model-out not written" : ""));
        return 1;
      }
      if (modelOut != null) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(ModelFiles.MODEL, modelSpec.id());
        meta.put(ModelFiles.NUM_FEATURES, Integer.toString(train0.numFeatures()));
        meta.put(ModelFiles.NUM_CLASSES, Integer.toString(train0.numClasses()));
        meta.put(ModelFiles.PREPROCESSING, std ? "standardize-per-party" : "none");
        meta.put(ModelFiles.CLASS_NAMES, String.join("\u001f", train0.classNames()));
        meta.put("dataset", data.dataset);
        meta.put("strategy", strat.describe());
        meta.put("partition", partitioner.describe());
        meta.put("rounds", Integer.toString(result.history().rounds().size()));
        meta.put("seed", Long.toString(seed));
        meta.put("created_by", "starling " + Main.VERSION);
        ModelFiles.write(modelOut, new ModelArchive(meta, result.global()));
        out.println("model written to " + modelOut);
      }
      if (metricsOut != null) {
        out.println("metrics written to " + metricsOut);
      }
    }
    return 0;
  }

  private static RoundListener combine(RoundListener a, RoundListener b) {
    if (b == null) {
      return a;
    }
    return new RoundListener() {
      @Override
      public void onRoundStart(int round, int clientsSelected) {
        a.onRoundStart(round, clientsSelected);
        b.onRoundStart(round, clientsSelected);
      }

      @Override
      public void onClientDone(int round, dev.starling.core.message.ClientId client, boolean success) {
        a.onClientDone(round, client, success);
        b.onClientDone(round, client, success);
      }

      @Override
      public void onRoundEnd(RoundRecord record) {
        a.onRoundEnd(record);
        b.onRoundEnd(record);
      }
    };
  }
}
