package dev.starling.cli;

import dev.starling.core.learner.LocalLearner;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.data.LoadedData;
import dev.starling.learners.LearnerContext;
import dev.starling.learners.LearnerFactory;
import dev.starling.learners.Learners;
import dev.starling.ledger.contribution.ContributionMethod;
import dev.starling.ledger.contribution.Contributions;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code starling bench contribution}: how well the cheap contribution estimators (leave-one-out,
 * truncated Monte-Carlo Shapley, GTG-Shapley) agree with exact Shapley, on a FedAvg run of 10 clients of
 * which 2 flipped their labels, 2 hold a copy of another client's data and 1 is a free-rider.
 */
@Command(name = "contribution", mixinStandardHelpOptions = true,
    description = {"Contribution estimators vs exact Shapley: logreg on digits, FedAvg, 10 IID clients where c0, c1 flipped",
        "their labels, c2 and c3 hold a copy of c4's data, c9 is a free-rider (sends the global model back). Per method:",
        "Spearman rank correlation of the scores summed over the rounds with exact Shapley's, the bottom three",
        "clients (the bad ones are c0, c1, c9), utility evaluations and milliseconds per round."})
final class ContributionBench implements Callable<Integer> {
  @Option(names = "--rounds", defaultValue = "5", description = "FedAvg rounds. Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Mixin
  BenchOptions bench = new BenchOptions();

  private static final int CLIENTS = 10;
  private static final Set<String> BAD = Set.of("c0", "c1", "c9");

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    LoadedData d = bench.load("digits");
    Dataset train = d.train();
    Dataset test = d.test();
    int r = bench.quick ? 2 : rounds;
    LearnerFactory model = Learners.parse("logreg");
    LearnerContext ctx = LearnerContext.of("logreg", train, bench.seed);
    int[] perm = RandomSource.seeded(bench.seed).permutation(train.size());
    int per = train.size() / CLIENTS;
    Dataset[] shards = new Dataset[CLIENTS];
    for (int c = 0; c < CLIENTS; c++) {
      shards[c] = train.subset(Arrays.copyOfRange(perm, c * per, (c + 1) * per));
    }
    for (int c : new int[] {0, 1}) {
      int[] y = shards[c].labels().clone();
      for (int i = 0; i < y.length; i++) {
        y[i] = (y[i] + 1) % train.numClasses(); // flipped labels: every row labelled as the next class
      }
      shards[c] = shards[c].withLabels(y);
    }
    shards[2] = shards[4];
    shards[3] = shards[4];
    LocalLearner[] learners = new LocalLearner[CLIENTS];
    for (int c = 0; c < CLIENTS; c++) {
      learners[c] = model.create(ctx, shards[c]);
    }
    LocalLearner validation = model.create(ctx, test);
    ToDoubleFunction<ParameterSet> utility = p -> -validation.evaluate(p).metrics().getOrNaN(Metrics.LOSS);
    ParameterSet global = learners[0].parameters();

    String[] names = {"exact", "loo", "tmc", "gtg"};
    double[][] total = new double[names.length][CLIENTS];
    long[] nanos = new long[names.length];
    long[] evaluations = new long[names.length];
    out.printf(Locale.ROOT, "contribution  logreg on digits, %d clients (%d rows each), %d FedAvg rounds, seed %d%n", CLIENTS, per,
        r, bench.seed);
    for (int round = 1; round <= r; round++) {
      TrainConfig cfg = TrainConfig.builder().round(round).localEpochs(1).batchSize(32).learningRate(0.1)
          .seed(bench.seed * 1000 + round).build();
      List<Contributions.Update> updates = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        ParameterSet p = c == 9 ? global : learners[c].fit(global, cfg.withSeed(cfg.seed() + c)).parameters();
        updates.add(new Contributions.Update("c" + c, p, per));
      }
      for (int m = 0; m < names.length; m++) {
        Contributions contributions = new Contributions(updates, global, utility);
        long t0 = System.nanoTime();
        Contributions.Scores s = m == 0 ? contributions.exactReference(CLIENTS)
            : contributions.compute(ContributionMethod.parse(names[m]), Contributions.Settings.defaults(bench.seed + round));
        nanos[m] += System.nanoTime() - t0;
        evaluations[m] += s.evaluations();
        for (int c = 0; c < CLIENTS; c++) {
          total[m][c] += s.scores()[c];
        }
      }
      global = fedAvg(updates, global);
      out.printf(Locale.ROOT, "round %d: global test loss %.4f%n", round, -utility.applyAsDouble(global));
    }
    out.printf(Locale.ROOT, "%n%-6s %9s %-13s %-6s %12s %12s%n", "method", "spearman", "bottom 3", "bad", "evals/round",
        "ms/round");
    for (int m = 0; m < names.length; m++) {
      List<String> bottom = bottom3(total[m]);
      out.printf(Locale.ROOT, "%-6s %9.3f %-13s %-6s %12.0f %12.1f%n", names[m], spearman(total[m], total[0]),
          String.join(",", bottom), BAD.containsAll(bottom) ? "yes" : "no", evaluations[m] / (double) r, nanos[m] / 1e6 / r);
    }
    out.println();
    out.printf(Locale.ROOT, "scores summed over the rounds (%s)%n", String.join(", ", names));
    for (int c = 0; c < CLIENTS; c++) {
      int cc = c;
      out.printf(Locale.ROOT, "c%d %-18s %s%n", c, c < 2 ? "(flipped labels)" : c < 4 ? "(copy of c4)" : c == 9 ? "(free-rider)" : "",
          IntStream.range(0, names.length).mapToObj(m -> String.format(Locale.ROOT, "%10.5f", total[m][cc]))
              .collect(Collectors.joining(" ")));
    }
    return 0;
  }

  private static ParameterSet fedAvg(List<Contributions.Update> updates, ParameterSet like) {
    double total = updates.stream().mapToDouble(Contributions.Update::examples).sum();
    double[] acc = new double[like.flatten().length];
    for (Contributions.Update u : updates) {
      float[] x = u.parameters().flatten();
      for (int i = 0; i < acc.length; i++) {
        acc[i] += u.examples() / total * x[i];
      }
    }
    float[] f = new float[acc.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) acc[i];
    }
    return like.unflatten(f);
  }

  private static List<String> bottom3(double[] s) {
    return IntStream.range(0, s.length).boxed().sorted(Comparator.comparingDouble(i -> s[i])).limit(3)
        .sorted().map(i -> "c" + i).toList();
  }

  /** Spearman's rank correlation: Pearson's on the ranks, ties sharing their mean rank. */
  static double spearman(double[] a, double[] b) {
    double[] ra = ranks(a);
    double[] rb = ranks(b);
    double ma = Arrays.stream(ra).average().orElse(0);
    double mb = Arrays.stream(rb).average().orElse(0);
    double num = 0;
    double da = 0;
    double db = 0;
    for (int i = 0; i < ra.length; i++) {
      num += (ra[i] - ma) * (rb[i] - mb);
      da += (ra[i] - ma) * (ra[i] - ma);
      db += (rb[i] - mb) * (rb[i] - mb);
    }
    return da == 0 || db == 0 ? Double.NaN : num / Math.sqrt(da * db);
  }

  static double[] ranks(double[] x) {
    Integer[] idx = IntStream.range(0, x.length).boxed().sorted(Comparator.comparingDouble(i -> x[i])).toArray(Integer[]::new);
    double[] r = new double[x.length];
    for (int i = 0; i < idx.length; ) {
      int j = i;
      while (j + 1 < idx.length && x[idx[j + 1]] == x[idx[i]]) {
        j++;
      }
      for (int k = i; k <= j; k++) {
        r[idx[k]] = (i + j) / 2.0 + 1;
      }
      i = j + 1;
    }
    return r;
  }
}
