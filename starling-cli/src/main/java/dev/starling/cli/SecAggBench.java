package dev.starling.cli;

import dev.starling.core.error.FlException;
import dev.starling.privacy.secagg.FixedPoint;
import dev.starling.privacy.secagg.InProcessSecAgg;
import dev.starling.privacy.secagg.SecAggParams;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling bench secagg}: secure aggregation at scale, in one JVM ({@link InProcessSecAgg}): for each
 * client count, SecAgg on the complete graph and SecAgg+ on a ring graph of k neighbours, with a fraction of
 * the clients (drawn from the seed) dropping out after sharing keys and before sending a masked input (the
 * costlier recovery: the server regenerates their pairwise masks). SecAgg+'s k is the smallest even k for
 * which, with threshold k/2 + 1 (an honest majority of each neighbourhood), random drop-outs at that rate leave
 * some client short of shares with probability at most {@code --failure} (binomial tail, union bound over the
 * clients); it grows with log n. Every row checks the unmasked sum against the clients' encodings.
 */
@Command(name = "secagg", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Secure aggregation at scale in one JVM: SecAgg (complete graph) vs SecAgg+ (log-degree ring graph)",
        "per client count; server seconds, client seconds, bytes up per client, exactness."})
final class SecAggBench implements Callable<Integer> {
  @Option(names = "--clients", split = ",", paramLabel = "N[,N...]", defaultValue = "100,300,1000",
      description = "Client counts, one pair of rows each. Default: ${DEFAULT-VALUE}.")
  int[] sizes;

  @Option(names = "--params", defaultValue = "100000", description = "Float32 parameters per client. Default: ${DEFAULT-VALUE}.")
  int params;

  @Option(names = "--dropout", defaultValue = "0.3", description = "Fraction of clients that drop out before masking. Default: ${DEFAULT-VALUE}.")
  double dropout;

  @Option(names = "--failure", defaultValue = "1e-3",
      description = "SecAgg+: bound on the probability that random drop-outs leave some client short of shares. Default: ${DEFAULT-VALUE}.")
  double failure;

  @Option(names = "--complete-max", defaultValue = "300",
      description = "Largest client count to run SecAgg on the complete graph for (its cost grows with n^2). Default: ${DEFAULT-VALUE}.")
  int completeMax;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of inputs, drop-outs and graph. Default: ${DEFAULT-VALUE}.")
  long seed;

  private final PrintStream out = System.out;

  @Override
  public Integer call() {
    check(params >= 1, "--params", ">= 1", params);
    check(dropout >= 0 && dropout < 0.5, "--dropout", "in [0, 0.5)", dropout);
    check(failure > 0 && failure < 1, "--failure", "in (0, 1)", failure);
    for (int n : sizes) {
      check(n >= 3, "--clients", "at least 3 each", n);
    }
    out.printf(Locale.ROOT, "secure aggregation in one JVM, %,d float32 parameters per client, %.0f%% of clients drop out after"
        + " sharing keys, before masking%n", params, dropout * 100);
    out.printf(Locale.ROOT, "(%d processors; server s: wall time of the server's steps, server CPU s: process CPU time during"
        + " them, all threads;%n client CPU s: CPU time of each client's steps; the clients of a step run in parallel)%n",
        Runtime.getRuntime().availableProcessors());
    out.println("clients | protocol          |   k |   t | server s | server CPU s | client CPU s (mean) | client CPU s (max) | KB up per client | exact");
    out.println("--------+-------------------+-----+-----+----------+--------------+---------------------+--------------------+------------------+------");
    for (int n : sizes) {
      Map<Integer, float[]> inputs = inputs(n);
      Set<Integer> dropped = dropped(n);
      FixedPoint codec = new FixedPoint(16, 8, n);
      if (n <= completeMax) {
        row(n, "SecAgg (complete)", SecAggParams.forClients(n, dropout, codec, params), inputs, dropped, codec);
      } else {
        out.printf(Locale.ROOT, "%7d | %-17s | %3d |     | skipped (n > --complete-max %d: O(n^2) work)%n", n, "SecAgg (complete)",
            n - 1, completeMax);
      }
      int k = neighbours(n, dropout, failure);
      SecAggParams plus = k == 0 ? SecAggParams.forClients(n, dropout, codec, params)
          : new SecAggParams(k / 2 + 1, k, seed, codec, params);
      row(n, "SecAgg+", plus, inputs, dropped, codec);
    }
    out.printf(Locale.ROOT, "(SecAgg+: k = smallest even k with n * P[Binomial(k, %.2f) < k/2 + 1] <= %s, threshold t = k/2 + 1;"
        + " plain float32 upload: %.1f KB per client)%n", 1 - dropout, failure, params * 4 / 1e3);
    return 0;
  }

  private static void check(boolean ok, String flag, String what, Object value) {
    if (!ok) {
      throw new IllegalArgumentException("bench secagg: " + flag + " must be " + what + "; got " + value);
    }
  }

  private void row(int n, String name, SecAggParams p, Map<Integer, float[]> inputs, Set<Integer> dropped, FixedPoint codec) {
    int k = p.neighbours() == 0 ? n - 1 : p.neighbours();
    try {
      InProcessSecAgg.Result r = InProcessSecAgg.run(p, inputs, dropped, Set.of(), new SecureRandom());
      out.printf(Locale.ROOT, "%7d | %-17s | %3d | %3d | %8.3f | %12.3f | %19.4f | %18.4f | %16.1f | %s%n", n, name, k,
          p.threshold(), r.serverSeconds(), r.serverCpuSeconds(), r.clientCpuSeconds() / n, r.maxClientCpuSeconds(),
          r.bytesPerClientUp() / 1e3,
          exact(codec, inputs, r) ? "yes" : "NO");
    } catch (FlException e) {
      out.printf(Locale.ROOT, "%7d | %-17s | %3d | %3d | unmasking refused: %s%n", n, name, k, p.threshold(), e.getMessage());
    }
    out.flush();
  }

  /**
   * The smallest even k at which n clients on a k-regular graph, each neighbour dropping out independently
   * with probability {@code d}, all keep at least k/2 + 1 surviving neighbours except with probability at most
   * {@code failure} (union bound); 0 (the complete graph) when that k is n - 1 or more.
   */
  static int neighbours(int n, double d, double failure) {
    for (int k = 2; k < n - 1; k += 2) {
      if (n * binomialBelow(k, 1 - d, k / 2 + 1) <= failure) {
        return k;
      }
    }
    return 0;
  }

  /** P[Binomial(k, p) {@literal <} m]. */
  static double binomialBelow(int k, double p, int m) {
    double logPmf = k * Math.log1p(-p); // P[X = 0]
    double sum = 0;
    for (int x = 0; x < m; x++) {
      sum += Math.exp(logPmf);
      logPmf += Math.log((double) (k - x) / (x + 1)) + Math.log(p) - Math.log1p(-p);
    }
    return sum;
  }

  private Map<Integer, float[]> inputs(int n) {
    Random r = new Random(seed + n);
    Map<Integer, float[]> m = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      float[] x = new float[params];
      for (int j = 0; j < params; j++) {
        x[j] = (float) Math.max(-8, Math.min(8, r.nextGaussian()));
      }
      m.put(i, x);
    }
    return m;
  }

  private Set<Integer> dropped(int n) {
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add(i);
    }
    Collections.shuffle(ids, new Random(seed * 31 + n));
    return new HashSet<>(ids.subList(0, (int) Math.floor(dropout * n)));
  }

  private static boolean exact(FixedPoint codec, Map<Integer, float[]> inputs, InProcessSecAgg.Result res) {
    int[] s = new int[res.sum().length];
    for (int id : res.contributors()) {
      int[] e = codec.encode(inputs.get(id));
      for (int j = 0; j < s.length; j++) {
        s[j] += e[j];
      }
    }
    return Arrays.equals(codec.decode(s), res.sum());
  }
}
