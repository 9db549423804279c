package dev.starling.cli;

import dev.starling.run.RunAssembler;
import dev.starling.run.RunSpec;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.learners.Evaluation;
import dev.starling.learners.ModelSpec;
import dev.starling.server.FoldOrder;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.server.RoundRecord;
import dev.starling.simulation.RangeClients;
import dev.starling.strategy.ServerEvaluatedStrategy;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling bench scale}: cross-device scale. Registers a million light virtual clients
 * ({@link RangeClients}) over one synthetic tabular set and runs FedAvg rounds of logistic regression
 * with thousands of clients each; reports heap bytes per idle registered client (heap used after GC
 * with the clients, minus before, divided by their number) and seconds per round.
 */
@Command(name = "scale", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Registers many light virtual clients over one synthetic tabular set (logistic ground truth)",
        "and runs FedAvg rounds of logreg. Last line: registered=N per_round=K bytes_per_idle_client=B",
        "seconds_per_round=S (median over rounds)."})
final class ScaleBench implements Callable<Integer> {
  @Option(names = "--registered", defaultValue = "1000000", paramLabel = "N", description = "Registered clients. Default: ${DEFAULT-VALUE}.")
  int registered;

  @Option(names = "--per-round", defaultValue = "10000", paramLabel = "K", description = "Clients per round. Default: ${DEFAULT-VALUE}.")
  int perRound;

  @Option(names = "--rows-per-client", defaultValue = "10", paramLabel = "R", description = "Rows per client. Default: ${DEFAULT-VALUE}.")
  int rowsPerClient;

  @Option(names = "--features", defaultValue = "16", paramLabel = "F", description = "Features. Default: ${DEFAULT-VALUE}.")
  int features;

  @Option(names = "--rounds", defaultValue = "5", description = "Rounds. Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = {"--local-epochs", "--epochs"}, defaultValue = "1", description = "Local epochs. Default: ${DEFAULT-VALUE}.")
  int epochs;

  @Option(names = {"--batch-size", "--batch"}, defaultValue = "10", description = "Local batch size. Default: ${DEFAULT-VALUE}.")
  int batch;

  @Option(names = "--lr", defaultValue = "0.5", description = "Local learning rate. Default: ${DEFAULT-VALUE}.")
  double lr;

  @Option(names = "--threads", paramLabel = "T", description = "Worker threads. Default: available processors.")
  Integer threads;

  @Option(names = "--seed", defaultValue = "1", description = "Seed. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Override
  public Integer call() {
    if (registered < 1 || perRound < 1 || perRound > registered || rowsPerClient < 1 || features < 1 || rounds < 1) {
      throw new IllegalArgumentException("need 1 <= --per-round <= --registered and positive --rows-per-client, --features, "
          + "--rounds. Provided values: registered=" + registered + ", per-round=" + perRound + ", rows-per-client="
          + rowsPerClient + ", features=" + features + ", rounds=" + rounds);
    }
    long rows = (long) registered * rowsPerClient;
    if (rows * features > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("--registered x --rows-per-client x --features must stay below 2^31 values. "
          + "Provided value: " + rows * features);
    }
    PrintStream out = System.out;
    int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
    RandomSource rng = RandomSource.seeded(seed);
    float[] truth = new float[features];
    for (int j = 0; j < features; j++) {
      truth[j] = (float) rng.nextGaussian();
    }
    long t0 = System.nanoTime();
    Dataset train = synthetic("synthetic-train", (int) rows, truth, rng.derive(1));
    Dataset test = synthetic("synthetic-test", 20_000, truth, rng.derive(2));
    double genSeconds = (System.nanoTime() - t0) / 1e9;
    long before = heapAfterGc();
    RangeClients pool = RangeClients.evenSplit(train, registered, ModelSpec.logreg(), t);
    long after = heapAfterGc();
    double perClient = (after - before) / (double) registered;
    out.printf(Locale.ROOT, "scale: %,d registered clients x %d rows of %d features (synthetic logistic, seed %d; %.1f s to make),"
        + " %,d per round, logreg, E %d, B %d, lr %s, %d worker threads, %s%n", registered, rowsPerClient, features, seed,
        genSeconds, perRound, epochs, batch, lr, t, Runtime.version());
    out.printf(Locale.ROOT, "heap after GC: shared data %.1f MB; + clients %.1f MB -> %.1f bytes per idle registered client%n",
        before / 1e6, (after - before) / 1e6, perClient);
    ModelSpec spec = ModelSpec.logreg();
    RunSpec run = RunSpec.defaults().withModel("logreg").withStrategy("fedavg").withSeed(seed)
        .withTraining(new RunSpec.Training(epochs, batch, lr, 0, 0))
        .withLoop(RunSpec.Loop.defaults().withRounds(rounds).withFraction(perRound / (double) registered).withMinClients(perRound))
        .withPopulation(RunSpec.Population.of(registered, "iid"));
    RunAssembler.Assembly assembly = RunAssembler.assemble(run, RunAssembler.Target.SIMULATION);
    RoundLoopConfig cfg = RunAssembler.loopConfig(run, assembly.stopConditions(run.loop()), FoldOrder.SELECTION, registered);
    ParameterSet init = spec.initialize(features, 2, RandomSource.seeded(seed).derive(3));
    out.println("round | clients ok/sel | train_loss | test_acc | seconds");
    out.println("------+----------------+------------+----------+--------");
    double[] seconds = new double[rounds];
    try (pool) {
      RoundListener listener = new RoundListener() {
        @Override
        public void onRoundEnd(RoundRecord r) {
          seconds[r.round() - 1] = r.seconds();
          out.printf(Locale.ROOT, "%5d | %6d/%-7d | %10.4f | %8.4f | %7.3f%n", r.round(), r.clientsSucceeded(),
              r.clientsSelected(), r.metric("train_loss"), r.metric("test_accuracy"), r.seconds());
        }
      };
      new RoundLoop(new ServerEvaluatedStrategy(assembly.strategy(), p -> Evaluation.evaluate(spec, p, test).metrics()), pool,
          cfg, listener).run(init);
      out.printf(Locale.ROOT, "local training: %,d samples in %.2f worker-seconds (%,.0f samples/s per worker thread)%n",
          pool.trainingStats().samples(), pool.trainingStats().workerSeconds(), pool.trainingStats().samplesPerWorkerSecond());
    }
    double[] s = seconds.clone();
    Arrays.sort(s);
    double median = s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    out.printf(Locale.ROOT, "registered=%d per_round=%d bytes_per_idle_client=%.1f seconds_per_round=%.3f%n", registered,
        perRound, perClient, median);
    return 0;
  }

  /** Rows with standard normal features and label 1 when truth . x + logistic noise > 0. */
  private Dataset synthetic(String name, int n, float[] truth, RandomSource rng) {
    int f = truth.length;
    float[] x = new float[n * f];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      double z = 0;
      for (int j = 0; j < f; j++) {
        float v = (float) rng.nextGaussian();
        x[i * f + j] = v;
        z += v * truth[j];
      }
      double u = Math.min(1 - 1e-12, Math.max(1e-12, rng.nextDouble()));
      y[i] = z + Math.log(u / (1 - u)) > 0 ? 1 : 0;
    }
    return Dataset.builder().name(name).features(x).labels(y).numFeatures(f).numClasses(2).build();
  }

  private static long heapAfterGc() {
    MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return mem.getHeapMemoryUsage().getUsed();
  }
}
