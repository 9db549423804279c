package dev.starling.privacy.secagg;

import dev.starling.core.error.Checks;
import dev.starling.privacy.secagg.SecAggMessages.AdvertiseKeys;
import dev.starling.privacy.secagg.SecAggMessages.EncryptedShare;
import dev.starling.privacy.secagg.SecAggMessages.KeyDirectory;
import dev.starling.privacy.secagg.SecAggMessages.MaskedInput;
import dev.starling.privacy.secagg.SecAggMessages.UnmaskRequest;
import dev.starling.privacy.secagg.SecAggMessages.UnmaskResponse;
import dev.starling.strategy.kernel.Parallel;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Runs one secure aggregation with every party in this JVM, passing the messages directly: the reference
 * driver for tests, benchmarks and simulations (a networked deployment carries the same messages over
 * its transport). Drop-outs are injected at the two points the protocol distinguishes: after sharing keys
 * but before sending a masked input (their pairwise masks must be removed), and after sending the masked
 * input but before answering the unmask request (their shares are missing).
 */
public final class InProcessSecAgg {
  private InProcessSecAgg() {}

  /**
   * What a run produced and cost.
   *
   * @param sum the decoded sum of the contributors' inputs
   * @param contributors the clients whose inputs are in the sum
   * @param clientSeconds total wall seconds of all clients' steps (sum over clients; clients of one step run in
   *     parallel, so each one's wall time includes waiting for a processor: see clientCpuSeconds)
   * @param maxClientSeconds the slowest client's wall seconds
   * @param serverSeconds seconds the server spent
   * @param bytesPerClientUp mean bytes a client sent
   * @param serverBytesIn bytes the server received
   * @param serverBytesOut bytes the server sent
   * @param clientCpuSeconds total CPU seconds of the clients' steps (their thread's CPU time: unlike the wall
   *     seconds, not inflated when the machine is busy)
   * @param maxClientCpuSeconds the CPU seconds of the most expensive client
   * @param serverCpuSeconds CPU seconds of the process during the server's steps (every thread, the parallel
   *     unmasking included; also whatever else the JVM ran then, so an upper bound)
   */
  public record Result(double[] sum, Set<Integer> contributors, double clientSeconds, double maxClientSeconds,
      double serverSeconds, double bytesPerClientUp, long serverBytesIn, long serverBytesOut, double clientCpuSeconds,
      double maxClientCpuSeconds, double serverCpuSeconds) {}

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private static long threadCpu() {
    return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
  }

  private static long processCpu() {
    return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
        && os.getProcessCpuTime() >= 0 ? os.getProcessCpuTime() : System.nanoTime();
  }

  /**
   * Aggregates {@code inputs} (client id to vector). {@code dropBeforeMasking} share keys then vanish;
   * {@code dropBeforeUnmasking} send their masked input then vanish.
   */
  public static Result run(SecAggParams params, Map<Integer, float[]> inputs, Set<Integer> dropBeforeMasking,
      Set<Integer> dropBeforeUnmasking, SecureRandom rng) {
    Checks.checkArgument(inputs.size() >= 2, "clients", ">= 2", inputs.size());
    List<SecAggClient> clients = new ArrayList<>();
    for (int id : inputs.keySet()) {
      clients.add(new SecAggClient(id, params, rng));
    }
    Cost cost = new Cost(clients.size());
    SecAggServer server = new SecAggServer(params);
    List<AdvertiseKeys> keys = cost.clients(clients, c -> true, SecAggClient::advertise);
    for (AdvertiseKeys k : keys) {
      cost.up += k.wireBytes();
      cost.server(() -> server.receive(k));
    }
    KeyDirectory dir = cost.server(server::directory);
    List<List<EncryptedShare>> shares = cost.clients(clients, c -> true, c -> c.shareKeys(dir));
    for (int i = 0; i < clients.size(); i++) {
      int from = clients.get(i).id();
      List<EncryptedShare> s = shares.get(i);
      cost.up += SecAggMessages.bytes(s);
      cost.server(() -> server.receiveShares(from, s));
    }
    Map<Integer, List<EncryptedShare>> inboxes = cost.server(server::inboxes);
    List<MaskedInput> maskedInputs = cost.clients(clients, c -> !dropBeforeMasking.contains(c.id()),
        c -> c.maskInput(inboxes.get(c.id()), inputs.get(c.id())));
    for (MaskedInput m : maskedInputs) {
      if (m != null) {
        cost.up += m.wireBytes();
        cost.server(() -> server.receiveMasked(m));
      }
    }
    UnmaskRequest req = cost.server(server::unmaskRequest);
    List<UnmaskResponse> responses = cost.clients(clients,
        c -> !dropBeforeMasking.contains(c.id()) && !dropBeforeUnmasking.contains(c.id()), c -> c.unmask(req));
    for (UnmaskResponse r : responses) {
      if (r != null) {
        cost.up += r.wireBytes();
        cost.server(() -> server.receiveUnmask(r));
      }
    }
    double[] sum = cost.server(server::finish);
    return new Result(sum, server.contributors(), Arrays.stream(cost.clientWall).sum(), Arrays.stream(cost.clientWall).max().orElse(0),
        cost.serverWall, cost.up / (double) inputs.size(), server.bytesIn(), server.bytesOut(), Arrays.stream(cost.clientCpu).sum(),
        Arrays.stream(cost.clientCpu).max().orElse(0), cost.serverCpu);
  }

  /**
   * Wall and CPU seconds of each party's steps, and bytes sent up. The clients of one protocol step run in
   * parallel on {@link Parallel}'s pool (they are independent devices; each one's own CPU time is measured
   * on its thread); the server's steps run alone, in client order, so its result does not depend on timing.
   */
  private static final class Cost {
    final double[] clientWall;
    final double[] clientCpu;
    double serverWall;
    double serverCpu;
    long up;

    Cost(int clients) {
      clientWall = new double[clients];
      clientCpu = new double[clients];
    }

    /** Runs {@code step} for every client that {@code take}s part; null for the others. */
    <T> List<T> clients(List<SecAggClient> clients, Predicate<SecAggClient> take, Function<SecAggClient, T> step) {
      List<T> out = new ArrayList<>(Collections.nCopies(clients.size(), null));
      Parallel.forEachChunk(clients.size(), 1, (chunk, from, to) -> {
        for (int i = from; i < to; i++) {
          SecAggClient c = clients.get(i);
          if (take.test(c)) {
            long w0 = System.nanoTime();
            long c0 = threadCpu();
            out.set(i, step.apply(c));
            clientCpu[i] += (threadCpu() - c0) / 1e9;
            clientWall[i] += (System.nanoTime() - w0) / 1e9;
          }
        }
      });
      return out;
    }

    <T> T server(Supplier<T> step) {
      long w0 = System.nanoTime();
      long c0 = processCpu();
      T out = step.get();
      serverCpu += (processCpu() - c0) / 1e9;
      serverWall += (System.nanoTime() - w0) / 1e9;
      return out;
    }

    void server(Runnable step) {
      server(() -> {
        step.run();
        return null;
      });
    }
  }
}
