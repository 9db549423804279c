package dev.starling.cli;

import dev.starling.run.RunSpec;
import dev.starling.data.LoadedData;
import dev.starling.privacy.accounting.PrvAccountant;
import dev.starling.privacy.accounting.RdpAccountant;
import dev.starling.privacy.he.FixedBaseEncryptor;
import dev.starling.privacy.he.Paillier;
import dev.starling.privacy.he.PackedPaillier;
import dev.starling.privacy.secagg.FixedPoint;
import dev.starling.privacy.secagg.InProcessSecAgg;
import dev.starling.privacy.secagg.SecAggParams;
import dev.starling.server.History;
import dev.starling.simulation.adversary.Adversity;
import dev.starling.strategy.FedAvg;
import java.io.PrintStream;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code starling bench privacy}: (1) epsilon vs accuracy on mnist-10k for central DP-FedAvg and for
 * DP-SGD at a few noise multipliers; (2) secure aggregation cost for 10/50/100 clients x 100k parameters
 * with 0% and 30% drop-out; (3) Paillier cost per 1M parameters. {@code --quick} shrinks every size for
 * smoke tests; the README's numbers come from the full run.
 */
@Command(name = "privacy", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Privacy measurements: epsilon vs accuracy (central DP-FedAvg, DP-SGD) on mnist-10k,",
        "secure aggregation cost, Paillier cost."})
final class PrivacyBench implements Callable<Integer> {
  @Option(names = "--only", paramLabel = "all|dp|secagg|paillier", defaultValue = "all",
      description = "Which table. Default: ${DEFAULT-VALUE}.")
  String only;

  @Option(names = "--quick", description = "Small sizes (a smoke test, not a measurement).")
  boolean quick;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of data, training and (bench-only, seeded) DP noise. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--threads", paramLabel = "T", description = "Worker threads. Default: available processors.")
  Integer threads;

  @Mixin
  DataOptions data = new DataOptions();

  private final PrintStream out = System.out;

  @Override
  public Integer call() throws Exception {
    String o = only.toLowerCase(Locale.ROOT);
    if (!List.of("all", "dp", "secagg", "paillier").contains(o)) {
      throw new IllegalArgumentException("--only must be all, dp, secagg or paillier. Provided value: " + only);
    }
    int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
    if (o.equals("all") || o.equals("dp")) {
      dp(t);
    }
    if (o.equals("all") || o.equals("secagg")) {
      secagg();
    }
    if (o.equals("all") || o.equals("paillier")) {
      paillier();
    }
    return 0;
  }

  private void dp(int threads) throws Exception {
    data.dataset = quick ? "digits" : "mnist";
    LoadedData d = data.load(seed, Optional.empty());
    double delta = 1e-5;
    RdpAccountant rdp = new RdpAccountant();
    PrvAccountant prv = new PrvAccountant();

    int clients = 100;
    double fraction = 0.2;
    int rounds = quick ? 3 : 40;
    double clip = 0.5;
    out.println();
    out.printf(Locale.ROOT, "(1a) central DP-FedAvg (user level), %s%n", d.description());
    out.printf(Locale.ROOT, "     logreg, IID, %d clients, %d per round (q=%.2f), E 1, B 16, lr 0.1, clip C=%s, %d rounds, delta=%s, seed %d%n",
        clients, (int) (clients * fraction), fraction, clip, rounds, delta, seed);
    out.println("     noise z | epsilon (rdp) | epsilon (prv) | test accuracy (mean of last 5 rounds) | seconds");
    out.println("     --------+---------------+---------------+---------------------------------------+--------");
    for (double z : quick ? new double[] {0, 1.0} : new double[] {0, 0.5, 1.0, 2.0, 4.0}) {
      BenchRun run = BenchRun.of("logreg", "iid", clients, fraction, 1, 16, 0.1, "avg", Adversity.none(), rounds, Double.NaN, seed)
          .with(s -> z == 0 ? s : s.withPrivacy(RunSpec.Privacy.none().withDp(new RunSpec.Dp.Central(clip, z, false))
              .withSeededNoise(true)));
      long t0 = System.nanoTime();
      History h = run.run(d, threads);
      double sec = (System.nanoTime() - t0) / 1e9;
      double acc = BenchRun.tailMean(h, "test_accuracy", Math.min(5, rounds));
      if (z == 0) {
        out.printf(Locale.ROOT, "     no DP   |      inf      |      inf      | %37.4f | %6.1f%n", acc, sec);
      } else {
        out.printf(Locale.ROOT, "     %7.2f | %13.3f | %13.3f | %37.4f | %6.1f%n", z, rdp.epsilon(fraction, z, rounds, delta),
            prv.epsilon(fraction, z, rounds, delta), acc, sec);
      }
    }

    int sgdClients = 10;
    int sgdRounds = quick ? 2 : 10;
    int batch = 64;
    int perClient = d.train().size() / sgdClients;
    long steps = (long) sgdRounds * ((perClient + batch - 1) / batch);
    double q = (double) batch / perClient;
    out.println();
    out.printf(Locale.ROOT, "(1b) DP-SGD (example level, per client), %s%n", d.description());
    out.printf(Locale.ROOT, "     logreg, IID, %d clients all selected, ~%d examples each, E 1, B %d (q=%.4f), lr 0.5, clip 1.0, %d rounds = %d steps, delta=%s%n",
        sgdClients, perClient, batch, q, sgdRounds, steps, delta);
    out.println("     noise z | epsilon (rdp) | epsilon (prv) | test accuracy (mean of last 3 rounds) | seconds");
    out.println("     --------+---------------+---------------+---------------------------------------+--------");
    for (double z : quick ? new double[] {0, 1.0} : new double[] {0, 0.6, 1.0, 2.0}) {
      BenchRun run = BenchRun.of("logreg", "iid", sgdClients, 1.0, 1, batch, 0.5, "avg", Adversity.none(), sgdRounds, Double.NaN,
          seed).with(s -> z == 0 ? s : s.withPrivacy(RunSpec.Privacy.none().withDp(new RunSpec.Dp.Sgd(1.0, z))
              .withSeededNoise(true)));
      long t0 = System.nanoTime();
      History h = run.run(d, threads);
      double sec = (System.nanoTime() - t0) / 1e9;
      double acc = BenchRun.tailMean(h, "test_accuracy", Math.min(3, sgdRounds));
      if (z == 0) {
        out.printf(Locale.ROOT, "     no DP   |      inf      |      inf      | %37.4f | %6.1f%n", acc, sec);
      } else {
        out.printf(Locale.ROOT, "     %7.2f | %13.3f | %13.3f | %37.4f | %6.1f%n", z, rdp.epsilon(q, z, steps, delta),
            prv.epsilon(q, z, steps, delta), acc, sec);
      }
    }
  }

  private void secagg() {
    int params = quick ? 2_000 : 100_000;
    int[] sizes = quick ? new int[] {5, 10} : new int[] {10, 50, 100};
    SecureRandom rng = new SecureRandom();
    out.println();
    out.printf(Locale.ROOT, "(2) secure aggregation (SecAgg, complete graph, semi-honest server), %,d float32 parameters, in one JVM%n", params);
    out.println("    drop-outs happen after key sharing, before masked input (the costlier recovery: pairwise masks");
    out.println("    of the dropped must be regenerated); threshold = n - 1 - floor(0.3 n); 16 fractional bits, range +-8");
    out.println("    (client s: CPU seconds of a client's steps; server s: wall seconds of the server's steps; see bench secagg for");
    out.println("     SecAgg+ at 100 to 1,000 clients)");
    out.println("    clients | drop-out | client s (mean) | client s (max) | server s | KB up per client | server MB in | server MB out | exact");
    out.println("    --------+----------+-----------------+----------------+----------+------------------+--------------+---------------+------");
    for (int n : sizes) {
      for (double drop : new double[] {0, 0.3}) {
        Random r = new Random(seed + n);
        Map<Integer, float[]> inputs = new TreeMap<>();
        for (int i = 0; i < n; i++) {
          float[] x = new float[params];
          for (int j = 0; j < params; j++) {
            x[j] = (float) Math.max(-8, Math.min(8, r.nextGaussian()));
          }
          inputs.put(i, x);
        }
        Set<Integer> dropped = new HashSet<>();
        int k = (int) Math.floor(drop * n);
        for (int i = 0; i < k; i++) {
          dropped.add(i * n / Math.max(1, k));
        }
        FixedPoint codec = new FixedPoint(16, 8, n);
        SecAggParams p = SecAggParams.forClients(n, 0.3, codec, params);
        InProcessSecAgg.Result res = InProcessSecAgg.run(p, inputs, dropped, Set.of(), rng);
        boolean exact = checkExact(codec, inputs, res);
        out.printf(Locale.ROOT, "    %7d | %7.0f%% | %15.3f | %14.3f | %8.3f | %16.1f | %12.2f | %13.2f | %s%n", n, drop * 100,
            res.clientCpuSeconds() / n, res.maxClientCpuSeconds(), res.serverSeconds(), res.bytesPerClientUp() / 1e3,
            res.serverBytesIn() / 1e6, res.serverBytesOut() / 1e6, exact ? "yes" : "NO");
      }
    }
    int big = sizes[sizes.length - 1];
    int k = quick ? 4 : 40;
    for (double drop : new double[] {0, 0.3}) {
      Random r = new Random(seed + big);
      Map<Integer, float[]> inputs = new TreeMap<>();
      for (int i = 0; i < big; i++) {
        float[] x = new float[params];
        for (int j = 0; j < params; j++) {
          x[j] = (float) Math.max(-8, Math.min(8, r.nextGaussian()));
        }
        inputs.put(i, x);
      }
      Set<Integer> dropped = new HashSet<>();
      int nd = (int) Math.floor(drop * big);
      for (int i = 0; i < nd; i++) {
        dropped.add(i * big / Math.max(1, nd));
      }
      FixedPoint codec = new FixedPoint(16, 8, big);
      // SecAgg+: each client masks with k ring neighbours; threshold k/2 + 1 of them.
      SecAggParams p = new SecAggParams(k / 2 + 1, k, seed, codec, params);
      try {
        InProcessSecAgg.Result res = InProcessSecAgg.run(p, inputs, dropped, Set.of(), rng);
        out.printf(Locale.ROOT, " +%2d nb %3d | %7.0f%% | %15.3f | %14.3f | %8.3f | %16.1f | %12.2f | %13.2f | %s%n", k, big,
            drop * 100, res.clientCpuSeconds() / big, res.maxClientCpuSeconds(), res.serverSeconds(), res.bytesPerClientUp() / 1e3,
            res.serverBytesIn() / 1e6, res.serverBytesOut() / 1e6, checkExact(codec, inputs, res) ? "yes" : "NO");
      } catch (dev.starling.core.error.FlException e) {
        out.printf(Locale.ROOT, " +%2d nb %3d | %7.0f%% | unmasking refused: %s%n", k, big, drop * 100, e.getMessage());
      }
    }
    out.println("    (+k nb: SecAgg+ with k ring neighbours per client, threshold k/2+1; a drop-out pattern that leaves some");
    out.println("     client with fewer surviving neighbours than the threshold is refused, never guessed)");
    out.printf(Locale.ROOT, "    (plain float32 upload: %.1f KB per client)%n", params * 4 / 1e3);
  }

  private static boolean checkExact(FixedPoint codec, Map<Integer, float[]> inputs, InProcessSecAgg.Result res) {
    int len = res.sum().length;
    int[] s = new int[len];
    for (int id : res.contributors()) {
      int[] e = codec.encode(inputs.get(id));
      for (int j = 0; j < len; j++) {
        s[j] += e[j];
      }
    }
    return java.util.Arrays.equals(codec.decode(s), res.sum());
  }

  private void paillier() {
    SecureRandom rng = new SecureRandom();
    int bits = 2048;
    long t0 = System.nanoTime();
    Paillier.KeyPair kp = Paillier.generate(bits, rng);
    double keygen = (System.nanoTime() - t0) / 1e9;
    int clients = 10;
    int cts = quick ? 10 : 200;
    out.println();
    out.printf(Locale.ROOT, "(3) Paillier, %d-bit modulus (key generation %.2f s), %d clients, one thread; measured on %d ciphertexts"
        + " per client, scaled to 1M parameters;%n    seconds are the thread's CPU time%n", bits, keygen, clients, cts);
    out.println("    encryption            | max clients | slots x bits | ciphertexts per 1M | client encrypt s | server add s per client"
        + " | key holder decrypt s | upload MB (plain 4.0) | max abs error");
    out.println("    ----------------------+-------------+--------------+--------------------+------------------+------------------------"
        + "-+----------------------+-----------------------+--------------");
    t0 = System.nanoTime();
    FixedBaseEncryptor fixedBase = new FixedBaseEncryptor(kp.publicKey(), rng);
    double table = (System.nanoTime() - t0) / 1e9;
    paillierRow("r^n (textbook)", new PackedPaillier(kp.publicKey(), 16, 8.0, 1024), null, kp, clients, cts, rng);
    paillierRow("fixed base (DJN)", new PackedPaillier(kp.publicKey(), 16, 8.0, 1024), fixedBase, kp, clients, cts, rng);
    paillierRow("fixed base (DJN)", new PackedPaillier(kp.publicKey(), 16, 8.0, clients), fixedBase, kp, clients, cts, rng);
    out.printf(Locale.ROOT, "    (fixed base: c = (1 + m n) hs^a, a of %d bits, hs^a from a table of %d x %d powers built once per key in"
        + " %.2f s; max clients sets the slot width: the sum of that many values must fit one slot)%n", fixedBase.exponentBits(),
        (fixedBase.exponentBits() + 7) / 8, 256, table);
  }

  private void paillierRow(String name, PackedPaillier pp, FixedBaseEncryptor fixedBase, Paillier.KeyPair kp, int clients, int cts,
      SecureRandom rng) {
    int len = cts * pp.slots();
    Random r = new Random(seed);
    float[][] xs = new float[clients][len];
    for (float[] x : xs) {
      for (int j = 0; j < len; j++) {
        x[j] = (float) Math.max(-8, Math.min(8, r.nextGaussian()));
      }
    }
    long t0 = cpuNanos();
    BigInteger[][] enc = new BigInteger[clients][];
    for (int c = 0; c < clients; c++) {
      enc[c] = fixedBase == null ? pp.encrypt(xs[c], rng) : pp.encrypt(xs[c], fixedBase, rng);
    }
    double encSec = (cpuNanos() - t0) / 1e9 / clients;
    t0 = cpuNanos();
    BigInteger[] acc = enc[0];
    for (int c = 1; c < clients; c++) {
      acc = pp.add(acc, enc[c]);
    }
    double addSec = (cpuNanos() - t0) / 1e9 / (clients - 1);
    t0 = cpuNanos();
    double[] sum = pp.decryptSum(acc, kp.privateKey(), clients, len);
    double decSec = (cpuNanos() - t0) / 1e9;
    double maxErr = 0;
    for (int j = 0; j < len; j++) {
      double plain = 0;
      for (float[] x : xs) {
        plain += x[j];
      }
      maxErr = Math.max(maxErr, Math.abs(plain - sum[j]));
    }
    double per1m = 1e6 / len;
    out.printf(Locale.ROOT, "    %-21s | %11d | %5d x %4d | %18d | %16.1f | %23.3f | %20.2f | %21.2f | %.2e%n", name, pp.maxClients(),
        pp.slots(), pp.slotBits(), pp.ciphertexts(1_000_000), encSec * per1m, addSec * per1m, decSec * per1m,
        pp.ciphertexts(1_000_000) * (double) kp.publicKey().ciphertextBytes() / 1e6, maxErr);
    out.flush();
  }

  /** CPU nanoseconds of the calling thread (the Paillier rows run on one thread): not inflated on a busy machine. */
  private static long cpuNanos() {
    return java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }
}
