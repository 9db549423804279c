package dev.starling.privacy.secagg;

import dev.starling.core.error.Checks;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.privacy.secagg.SecAggMessages.AdvertiseKeys;
import dev.starling.privacy.secagg.SecAggMessages.EncryptedShare;
import dev.starling.privacy.secagg.SecAggMessages.KeyDirectory;
import dev.starling.privacy.secagg.SecAggMessages.MaskedInput;
import dev.starling.privacy.secagg.SecAggMessages.UnmaskRequest;
import dev.starling.privacy.secagg.SecAggMessages.UnmaskResponse;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The client half of secure aggregation (Bonawitz, Ivanov, Kreuter, Marcedone, McMahan, Patel, Ramage,
 * Segal, Seth, "Practical Secure Aggregation for Privacy-Preserving Machine Learning", CCS 2017, the
 * semi-honest-server variant), as a message-driven state machine that a transport can drive:
 * <ol>
 *   <li>{@link #advertise()}: two fresh X25519 key pairs, c (envelopes) and s (pairwise masks);</li>
 *   <li>{@link #shareKeys}: Shamir-shares the s private key and a fresh 32-byte self-mask seed b among its
 *       neighbours, each share sealed with AES-GCM under the c-key agreed with the recipient;</li>
 *   <li>{@link #maskInput}: opens the envelopes it received (their senders are U2) and sends
 *       {@code y = encode(x) + PRG(b) + sum_{v in U2, v neighbour} sign(u, v) PRG(s_uv)} mod 2^32, with
 *       {@code sign = +1 if u < v else -1}, so pairwise masks cancel in the sum;</li>
 *   <li>{@link #unmask}: for clients the server says dropped out, reveals their s-key shares; for
 *       survivors, their b shares; never both for one client, so the server can never remove both kinds of
 *       mask from one client's input.</li>
 * </ol>
 * With {@link SecAggAuth} (the actively secure variant's signatures and consistency check), keys are
 * signed and checked, and {@link #signSurvivors} comes between masking and unmasking; without it the
 * server is trusted to follow the protocol (semi-honest). Calls must follow the order above; each is
 * guarded by a state check. Not thread-safe.
 */
public final class SecAggClient {
  private enum State { NEW, ADVERTISED, SHARED, MASKED, SIGNED, DONE }

  private final int id;
  private final SecAggParams params;
  private final SecureRandom rng;
  private State state = State.NEW;
  private KeyPair encKeys;
  private KeyPair maskKeys;
  private byte[] encScalar;
  private byte[] maskScalar;
  private KeyDirectory directory;
  private NeighbourGraph graph;
  private byte[] selfSeed;
  private final Map<Integer, Shamir.Share> heldMaskKeyShares = new HashMap<>();
  private final Map<Integer, Shamir.Share> heldSelfShares = new HashMap<>();
  private Set<Integer> u2;
  private final SecAggAuth auth;
  private UnmaskRequest signedRequest;

  /** A client of the semi-honest protocol (no signatures). */
  public SecAggClient(int id, SecAggParams params, SecureRandom rng) {
    this(id, params, rng, null);
  }

  /**
   * A client that signs its keys, checks everyone else's, and takes part in the consistency check
   * ({@link #signSurvivors}) before unmasking; {@code auth} holds its identity key and the PKI.
   */
  public SecAggClient(int id, SecAggParams params, SecureRandom rng, SecAggAuth auth) {
    Checks.checkNonNegative(id, "client id");
    this.id = id;
    this.params = Objects.requireNonNull(params, "params");
    this.rng = Objects.requireNonNull(rng, "rng");
    this.auth = auth;
  }

  public int id() {
    return id;
  }

  /** Round 0: fresh key pairs. */
  public AdvertiseKeys advertise() {
    expect(State.NEW);
    encKeys = Crypto.x25519(rng);
    maskKeys = Crypto.x25519(rng);
    state = State.ADVERTISED;
    byte[] c = encKeys.getPublic().getEncoded();
    byte[] m = maskKeys.getPublic().getEncoded();
    return auth == null ? new AdvertiseKeys(id, c, m) : new AdvertiseKeys(id, c, m, auth.sign(SecAggAuth.keysMessage(id, c, m)));
  }

  /** Round 1: shares of the s key and of b for every neighbour in the directory. */
  public List<EncryptedShare> shareKeys(KeyDirectory dir) {
    expect(State.ADVERTISED);
    if (!dir.keys().containsKey(id)) {
      throw new FlException(ErrorCode.FAILED_PRECONDITION, "client " + id + " is not in the key directory");
    }
    this.graph = new NeighbourGraph(dir.keys().keySet(), dir.neighbours(), dir.graphSeed());
    Set<Integer> nb = graph.neighbours(id);
    if (auth != null) {
      // only the neighbours' keys are ever used (the whole directory on the complete graph): O(k), not O(n)
      for (int v : nb) {
        AdvertiseKeys k = dir.keys().get(v);
        if (!auth.verifies(k)) {
          throw new FlException(ErrorCode.PERMISSION_DENIED, "client " + id + ": the keys listed for client " + k.client()
              + " are not signed by its identity key; refusing to share secrets under them");
        }
      }
    }
    this.directory = dir;
    if (nb.size() < dir.threshold()) {
      throw new FlException(ErrorCode.QUORUM_NOT_MET, "client " + id + " has " + nb.size()
          + " neighbours, fewer than the threshold " + dir.threshold());
    }
    selfSeed = new byte[32];
    rng.nextBytes(selfSeed);
    int[] xs = NeighbourGraph.xs(nb);
    encScalar = Crypto.scalar(encKeys.getPrivate());
    maskScalar = Crypto.scalar(maskKeys.getPrivate());
    List<Shamir.Share> sk = Shamir.split(maskScalar, dir.threshold(), xs, rng);
    List<Shamir.Share> bs = Shamir.split(selfSeed, dir.threshold(), xs, rng);
    List<EncryptedShare> out = new ArrayList<>(xs.length);
    for (int i = 0; i < xs.length; i++) {
      int to = xs[i] - 1;
      byte[] key = Crypto.agree(encScalar, Crypto.rawPublic(dir.keys().get(to).encryptionKey()), "starling-secagg-envelope");
      byte[] plain = ByteBuffer.allocate(8 + 2 * 66).putInt(id).putInt(to).put(fixed(sk.get(i).y())).put(fixed(bs.get(i).y())).array();
      out.add(new EncryptedShare(id, to, Crypto.seal(key, plain, aad(id, to), rng)));
    }
    state = State.SHARED;
    return out;
  }

  /**
   * Round 2: opens the envelopes addressed to this client (their senders form U2 among its neighbours)
   * and returns the masked input. Throws INVALID_ARGUMENT if {@code input} is out of the codec's range.
   */
  public MaskedInput maskInput(List<EncryptedShare> inbox, float[] input) {
    expect(State.SHARED);
    Checks.checkArgument(input.length == params.length(), "input length", "= " + params.length(), input.length);
    int[] y = params.codec().encode(input);
    Set<Integer> nb = graph.neighbours(id);
    u2 = new TreeSet<>();
    for (EncryptedShare e : inbox) {
      if (e.to() != id || !nb.contains(e.from())) {
        throw new FlException(ErrorCode.PERMISSION_DENIED, "client " + id + " got an envelope from " + e.from() + " to " + e.to());
      }
      byte[] key = Crypto.agree(encScalar, Crypto.rawPublic(directory.keys().get(e.from()).encryptionKey()),
          "starling-secagg-envelope");
      ByteBuffer b = ByteBuffer.wrap(Crypto.open(key, e.envelope(), aad(e.from(), id)));
      if (b.getInt() != e.from() || b.getInt() != id) {
        throw new FlException(ErrorCode.PERMISSION_DENIED, "envelope from " + e.from() + " names other parties");
      }
      byte[] sk = new byte[66];
      byte[] bs = new byte[66];
      b.get(sk).get(bs);
      heldMaskKeyShares.put(e.from(), new Shamir.Share(id + 1, new BigInteger(1, sk)));
      heldSelfShares.put(e.from(), new Shamir.Share(id + 1, new BigInteger(1, bs)));
      u2.add(e.from());
    }
    Crypto.MaskStream prg = new Crypto.MaskStream();
    prg.add(y, 0, y.length, selfSeed, +1);
    for (int v : u2) {
      byte[] seed = Crypto.agree(maskScalar, Crypto.rawPublic(directory.keys().get(v).maskKey()), "starling-secagg-mask");
      prg.add(y, 0, y.length, seed, id < v ? +1 : -1);
    }
    state = State.MASKED;
    return new MaskedInput(id, y);
  }

  /**
   * Consistency check (authenticated mode): signs the survivor list the server announced, after the
   * same sanity checks as {@link #unmask}. The signatures of at least t survivors over one list must come
   * back with the unmask request.
   */
  public SecAggMessages.SurvivorSignature signSurvivors(UnmaskRequest req) {
    Checks.checkState(auth != null, "signSurvivors needs a client built with SecAggAuth");
    expect(State.MASKED);
    checkRequest(req);
    signedRequest = new UnmaskRequest(req.dropped(), req.survivors());
    state = State.SIGNED;
    return new SecAggMessages.SurvivorSignature(id, auth.sign(SecAggAuth.survivorsMessage(SecAggAuth.digest(directory), req.dropped(), req.survivors())));
  }

  /** Round 3: shares for the server to remove the masks, refusing requests that would expose an input. */
  public UnmaskResponse unmask(UnmaskRequest req) {
    if (auth == null) {
      expect(State.MASKED);
      checkRequest(req);
    } else {
      expect(State.SIGNED);
      if (!req.dropped().equals(signedRequest.dropped()) || !req.survivors().equals(signedRequest.survivors())) {
        throw new FlException(ErrorCode.PERMISSION_DENIED, "client " + id + ": the unmask request's survivor list"
            + " differs from the one it signed; refusing to reveal shares");
      }
      byte[] msg = SecAggAuth.survivorsMessage(SecAggAuth.digest(directory), req.dropped(), req.survivors());
      long valid = req.signatures().entrySet().stream()
          .filter(e -> req.survivors().contains(e.getKey()) && auth.verify(e.getKey(), msg, e.getValue())).count();
      if (valid < directory.threshold()) {
        throw new FlException(ErrorCode.PERMISSION_DENIED, "client " + id + ": only " + valid + " survivors signed the"
            + " survivor list and key directory it was shown, threshold " + directory.threshold() + "; the server"
            + " showed clients different lists or directories, or forged signatures; refusing to reveal shares");
      }
    }
    Map<Integer, Shamir.Share> sk = new HashMap<>();
    Map<Integer, Shamir.Share> bs = new HashMap<>();
    for (int v : u2) {
      if (req.dropped().contains(v)) {
        sk.put(v, heldMaskKeyShares.get(v));
      } else if (req.survivors().contains(v)) {
        bs.put(v, heldSelfShares.get(v));
      }
    }
    state = State.DONE;
    return new UnmaskResponse(id, sk, bs);
  }

  private void checkRequest(UnmaskRequest req) {
    Set<Integer> both = new HashSet<>(req.dropped());
    both.retainAll(req.survivors());
    if (!both.isEmpty()) {
      throw new FlException(ErrorCode.PERMISSION_DENIED, "unmask request lists clients " + both
          + " as both dropped and surviving; revealing both of their secrets would expose their inputs");
    }
    if (!req.survivors().contains(id)) {
      throw new FlException(ErrorCode.PERMISSION_DENIED, "client " + id + " is not among the survivors it is asked to unmask for");
    }
    long survivingNeighbours = graph.neighbours(id).stream().filter(req.survivors()::contains).count();
    if (survivingNeighbours < directory.threshold()) {
      throw new FlException(ErrorCode.QUORUM_NOT_MET, "only " + survivingNeighbours + " neighbours of client " + id
          + " survive, below the threshold " + directory.threshold());
    }
  }

  private void expect(State s) {
    Checks.checkState(state == s, "secure aggregation client " + id + " is in state " + state + ", expected " + s);
  }

  static byte[] aad(int from, int to) {
    return ByteBuffer.allocate(8).putInt(from).putInt(to).array();
  }

  /** A field element as exactly 66 big-endian bytes. */
  static byte[] fixed(BigInteger v) {
    byte[] raw = v.toByteArray();
    byte[] out = new byte[66];
    int copy = Math.min(raw.length, 66);
    System.arraycopy(raw, raw.length - copy, out, 66 - copy, copy);
    return out;
  }
}
