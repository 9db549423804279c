package dev.starling.privacy.secagg;

import dev.starling.core.error.Checks;
import dev.starling.privacy.secagg.SecAggMessages.AdvertiseKeys;
import dev.starling.privacy.secagg.SecAggMessages.EncryptedShare;
import dev.starling.privacy.secagg.SecAggMessages.KeyDirectory;
import dev.starling.privacy.secagg.SecAggMessages.MaskedInput;
import dev.starling.privacy.secagg.SecAggMessages.UnmaskRequest;
import dev.starling.privacy.secagg.SecAggMessages.UnmaskResponse;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

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
   * @param clientSeconds total CPU-side seconds all clients spent (sum over clients)
   * @param maxClientSeconds the slowest client's seconds
   * @param serverSeconds seconds the server spent
   * @param bytesPerClientUp mean bytes a client sent
   * @param serverBytesIn bytes the server received
   * @param serverBytesOut bytes the server sent
   */
  public record Result(double[] sum, Set<Integer> contributors, double clientSeconds, double maxClientSeconds,
      double serverSeconds, double bytesPerClientUp, long serverBytesIn, long serverBytesOut) {}

  /**
   * Aggregates {@code inputs} (client id to vector). {@code dropBeforeMasking} share keys then vanish;
   * {@code dropBeforeUnmasking} send their masked input then vanish.
   */
  public static Result run(SecAggParams params, Map<Integer, float[]> inputs, Set<Integer> dropBeforeMasking,
      Set<Integer> dropBeforeUnmasking, SecureRandom rng) {
    Checks.checkArgument(inputs.size() >= 2, "clients", ">= 2", inputs.size());
    Map<Integer, SecAggClient> clients = new TreeMap<>();
    Map<Integer, Double> clientTime = new TreeMap<>();
    long[] up = new long[1];
    double serverTime = 0;
    SecAggServer server = new SecAggServer(params);
    for (int id : inputs.keySet()) {
      clients.put(id, new SecAggClient(id, params, rng));
      clientTime.put(id, 0.0);
    }
    for (SecAggClient c : clients.values()) {
      long t0 = System.nanoTime();
      AdvertiseKeys k = c.advertise();
      clientTime.merge(c.id(), (System.nanoTime() - t0) / 1e9, Double::sum);
      up[0] += k.wireBytes();
      long s0 = System.nanoTime();
      server.receive(k);
      serverTime += (System.nanoTime() - s0) / 1e9;
    }
    long s0 = System.nanoTime();
    KeyDirectory dir = server.directory();
    serverTime += (System.nanoTime() - s0) / 1e9;
    for (SecAggClient c : clients.values()) {
      long t0 = System.nanoTime();
      List<EncryptedShare> shares = c.shareKeys(dir);
      clientTime.merge(c.id(), (System.nanoTime() - t0) / 1e9, Double::sum);
      up[0] += SecAggMessages.bytes(shares);
      s0 = System.nanoTime();
      server.receiveShares(c.id(), shares);
      serverTime += (System.nanoTime() - s0) / 1e9;
    }
    s0 = System.nanoTime();
    Map<Integer, List<EncryptedShare>> inboxes = server.inboxes();
    serverTime += (System.nanoTime() - s0) / 1e9;
    for (SecAggClient c : clients.values()) {
      if (dropBeforeMasking.contains(c.id())) {
        continue;
      }
      long t0 = System.nanoTime();
      MaskedInput m = c.maskInput(inboxes.get(c.id()), inputs.get(c.id()));
      clientTime.merge(c.id(), (System.nanoTime() - t0) / 1e9, Double::sum);
      up[0] += m.wireBytes();
      s0 = System.nanoTime();
      server.receiveMasked(m);
      serverTime += (System.nanoTime() - s0) / 1e9;
    }
    s0 = System.nanoTime();
    UnmaskRequest req = server.unmaskRequest();
    serverTime += (System.nanoTime() - s0) / 1e9;
    for (SecAggClient c : clients.values()) {
      if (dropBeforeMasking.contains(c.id()) || dropBeforeUnmasking.contains(c.id())) {
        continue;
      }
      long t0 = System.nanoTime();
      UnmaskResponse r = c.unmask(req);
      clientTime.merge(c.id(), (System.nanoTime() - t0) / 1e9, Double::sum);
      up[0] += r.wireBytes();
      s0 = System.nanoTime();
      server.receiveUnmask(r);
      serverTime += (System.nanoTime() - s0) / 1e9;
    }
    s0 = System.nanoTime();
    double[] sum = server.finish();
    serverTime += (System.nanoTime() - s0) / 1e9;
    double total = clientTime.values().stream().mapToDouble(Double::doubleValue).sum();
    double max = clientTime.values().stream().mapToDouble(Double::doubleValue).max().orElse(0);
    return new Result(sum, server.contributors(), total, max, serverTime, up[0] / (double) inputs.size(),
        server.bytesIn(), server.bytesOut());
  }
}
