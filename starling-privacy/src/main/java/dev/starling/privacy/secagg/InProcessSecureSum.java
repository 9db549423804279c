package dev.starling.privacy.secagg;

import dev.starling.core.error.Checks;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Secure aggregation with both protocol halves in this JVM ({@link SecAggClient}, {@link SecAggServer}), for
 * simulations: it exercises the full protocol, its cryptography and its drop-out recovery but not the network.
 * Each selected client's update {@code w_i - global} is fixed-point encoded and masked in {@link Round#add}; the
 * server keeps a running masked sum and unmasks only the sum in {@link Round#finish}. Metrics:
 * {@code secagg_bytes_up} (all clients, every phase), {@code secagg_server_seconds}. Thread-confined.
 */
public final class InProcessSecureSum implements SecureSum {
  private final double dropoutTolerance;
  private final double maxAbs;
  private final int neighbours;
  private final boolean authenticated;
  private final SecureRandom rng = new SecureRandom();
  private FixedPoint codec;

  /**
   * Tolerating the drop-out of up to {@code dropoutTolerance} of each round's clients, for updates whose
   * coordinates lie in {@code [-maxAbs, maxAbs]}; SecAgg+ with {@code neighbours} ring neighbours (0: the complete
   * graph); {@code authenticated}: the actively secure variant ({@link SecAggAuth}) with a fresh Ed25519 identity
   * per virtual client and round (the in-JVM PKI).
   */
  public InProcessSecureSum(double dropoutTolerance, double maxAbs, int neighbours, boolean authenticated) {
    this.neighbours = SecAggParams.checkNeighbours(neighbours);
    Checks.checkArgument(dropoutTolerance >= 0 && dropoutTolerance < 0.5, "dropoutTolerance", "in [0, 0.5)", dropoutTolerance);
    this.dropoutTolerance = dropoutTolerance;
    this.maxAbs = Checks.checkPositive(maxAbs, "maxAbs");
    this.authenticated = authenticated;
  }

  @Override
  public double maxAbs() {
    return maxAbs;
  }

  @Override
  public void prepare(int clientsPerRound) {
    codec = SecureAggregationStrategy.codecFor(clientsPerRound, maxAbs);
    // a drop-out tolerance the planned round size cannot keep with a safe threshold is refused before round 1
    SecAggParams.forClients(clientsPerRound, dropoutTolerance, neighbours, 0, codec, 1);
  }

  @Override
  public Round begin(int round, ParameterSet global, List<ClientId> ids) {
    Checks.checkState(codec != null, "SecureAggregationStrategy.prepare must be called before round 1");
    Checks.checkState(ids != null && ids.size() >= 3, "secure aggregation needs >= 3 clients configured in round " + round);
    int length = Math.toIntExact(global.size());
    SecAggParams params = SecAggParams.forRound(ids.size(), dropoutTolerance, neighbours, rng.nextLong(), codec, length);
    long t0 = System.nanoTime();
    Map<Integer, KeyPair> identities = new HashMap<>();
    Map<Integer, PublicKey> pki = new HashMap<>();
    if (authenticated) {
      for (int i = 0; i < ids.size(); i++) {
        identities.put(i, SecAggAuth.newIdentity(rng));
        pki.put(i, identities.get(i).getPublic());
      }
    }
    SecAggServer server = new SecAggServer(params, authenticated ? new SecAggAuth(null, pki) : null);
    Map<ClientId, SecAggClient> clients = new HashMap<>();
    long[] up = new long[1];
    for (int i = 0; i < ids.size(); i++) {
      SecAggClient c = new SecAggClient(i, params, rng, authenticated ? new SecAggAuth(identities.get(i), pki) : null);
      clients.put(ids.get(i), c);
      SecAggMessages.AdvertiseKeys k = c.advertise();
      up[0] += k.wireBytes();
      server.receive(k);
    }
    SecAggMessages.KeyDirectory dir = server.directory();
    for (SecAggClient c : clients.values()) {
      List<SecAggMessages.EncryptedShare> s = c.shareKeys(dir);
      up[0] += SecAggMessages.bytes(s);
      server.receiveShares(c.id(), s);
    }
    Map<Integer, List<SecAggMessages.EncryptedShare>> inboxes = server.inboxes();
    long setupNanos = System.nanoTime() - t0;
    return new Round() {
      private final List<SecAggClient> maskedBy = new ArrayList<>();
      private final float[] g = global.flatten();
      private long serverNanos = setupNanos;

      @Override
      public void add(ClientId client, TrainResult result) {
        SecAggClient c = clients.get(client);
        Checks.checkState(c != null, "client " + client + " was not configured for round " + round);
        float[] w = result.parameters().flatten();
        for (int i = 0; i < w.length; i++) {
          w[i] -= g[i];
        }
        SecAggMessages.MaskedInput m = c.maskInput(inboxes.get(c.id()), w);
        up[0] += m.wireBytes();
        server.receiveMasked(m);
        maskedBy.add(c);
      }

      @Override
      public Total finish() {
        long s0 = System.nanoTime();
        try {
          if (authenticated) {
            SecAggMessages.UnmaskRequest check = server.consistencyRequest();
            for (SecAggClient c : maskedBy) {
              SecAggMessages.SurvivorSignature sig = c.signSurvivors(check);
              up[0] += sig.wireBytes();
              server.receiveSurvivorSignature(sig);
            }
          }
          SecAggMessages.UnmaskRequest req = server.unmaskRequest();
          for (SecAggClient c : maskedBy) {
            SecAggMessages.UnmaskResponse r = c.unmask(req);
            up[0] += r.wireBytes();
            server.receiveUnmask(r);
          }
          return new Total(server.finish(), maskedBy.size());
        } finally {
          serverNanos += System.nanoTime() - s0;
        }
      }

      @Override
      public void abandon() {
        // nothing held beyond this round's objects
      }

      @Override
      public Metrics metrics() {
        return Metrics.builder().put("secagg_bytes_up", up[0]).put("secagg_server_seconds", serverNanos / 1e9).build();
      }
    };
  }

  @Override
  public String describe() {
    return String.format(Locale.ROOT, "dropout tolerance=%s, range=+-%s%s%s", dropoutTolerance, maxAbs,
        neighbours == 0 ? "" : ", SecAgg+ " + neighbours + " neighbours",
        authenticated ? ", authenticated (signed keys, consistency check)" : "");
  }
}
