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
import dev.starling.strategy.kernel.Parallel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The server half of secure aggregation (see {@link SecAggClient} for the protocol), a message-driven
 * state machine: it collects keys (U1), routes sealed shares (U2 = clients whose shares arrived), collects
 * masked inputs (U3), asks the survivors for shares, and unmasks only the sum: it reconstructs each
 * survivor's self-mask seed and each dropped client's mask key (never both for one client), removes those
 * masks and decodes. It never sees an individual input. With fewer than t shares for any needed secret,
 * {@link #finish()} fails with QUORUM_NOT_MET instead of guessing. Masked inputs are folded into a running
 * sum as they arrive, so memory is O(input length) whatever the number of clients.
 *
 * <p>Order: {@link #receive(AdvertiseKeys)}*, {@link #directory()}, {@link #receiveShares}*,
 * {@link #inboxes()}, {@link #receiveMasked}*, {@link #unmaskRequest()}, {@link #receiveUnmask}*,
 * {@link #finish()}. Messages from clients outside the current set are rejected. Not thread-safe.
 */
public final class SecAggServer {
  private enum State { KEYS, SHARES, MASKED, CONSISTENCY, UNMASK, DONE }

  private final SecAggParams params;
  private State state = State.KEYS;
  private final Map<Integer, AdvertiseKeys> keys = new TreeMap<>();
  private KeyDirectory directory;
  private NeighbourGraph graph;
  private final Map<Integer, List<EncryptedShare>> sharesFrom = new TreeMap<>();
  private final Set<Integer> masked = new TreeSet<>();
  private int[] maskedSum; // running sum mod 2^32 of the masked inputs: O(length) memory, not O(clients x length)
  private UnmaskRequest request;
  private final Map<Integer, byte[]> survivorSignatures = new TreeMap<>();
  private final List<UnmaskResponse> responses = new ArrayList<>();
  private long bytesIn;
  private long bytesOut;

  private final SecAggAuth auth;

  public SecAggServer(SecAggParams params) {
    this(params, null);
  }

  /**
   * A server that accepts only keys signed by their client's identity key ({@code auth}'s directory, the
   * PKI; its identity is unused), for the authenticated protocol: round 0 keys that do not verify are
   * refused (PERMISSION_DENIED naming the client) and never reach the key directory.
   */
  public SecAggServer(SecAggParams params, SecAggAuth auth) {
    this.params = Objects.requireNonNull(params, "params");
    this.auth = auth;
  }

  /** Round 0 input. */
  public void receive(AdvertiseKeys k) {
    expect(State.KEYS);
    if (auth != null && !auth.verifies(k)) {
      throw new FlException(ErrorCode.PERMISSION_DENIED, "client " + k.client() + "'s secure aggregation keys are not"
          + " signed by its registered identity key" + (k.signature().length == 0 ? " (unsigned)" : ""));
    }
    keys.put(k.client(), k);
    bytesIn += k.wireBytes();
  }

  /** Closes round 0: the directory sent to every client in U1. */
  public KeyDirectory directory() {
    expect(State.KEYS);
    if (keys.size() <= params.threshold()) {
      throw new FlException(ErrorCode.QUORUM_NOT_MET, keys.size() + " clients advertised keys; secure aggregation"
          + " with threshold " + params.threshold() + " needs at least " + (params.threshold() + 1));
    }
    directory = new KeyDirectory(keys, params.threshold(), params.neighbours(), params.graphSeed());
    graph = new NeighbourGraph(keys.keySet(), params.neighbours(), params.graphSeed());
    bytesOut += (long) directory.wireBytes() * keys.size();
    state = State.SHARES;
    return directory;
  }

  /** Round 1 input: one client's sealed shares. */
  public void receiveShares(int from, List<EncryptedShare> shares) {
    expect(State.SHARES);
    if (!keys.containsKey(from)) {
      throw new FlException(ErrorCode.PERMISSION_DENIED, "client " + from + " sent shares without advertising keys");
    }
    Set<Integer> nb = graph.neighbours(from);
    for (EncryptedShare e : shares) {
      if (e.from() != from || !nb.contains(e.to())) {
        throw new FlException(ErrorCode.INVALID_ARGUMENT, "client " + from + " sent a share from " + e.from() + " to " + e.to());
      }
    }
    sharesFrom.put(from, List.copyOf(shares));
    bytesIn += SecAggMessages.bytes(shares);
  }

  /** Closes round 1: every client in U2 gets the envelopes addressed to it by others in U2. */
  public Map<Integer, List<EncryptedShare>> inboxes() {
    expect(State.SHARES);
    Map<Integer, List<EncryptedShare>> in = new TreeMap<>();
    for (int u : sharesFrom.keySet()) {
      in.put(u, new ArrayList<>());
    }
    for (List<EncryptedShare> l : sharesFrom.values()) {
      for (EncryptedShare e : l) {
        List<EncryptedShare> box = in.get(e.to());
        if (box != null) {
          box.add(e);
          bytesOut += e.wireBytes();
        }
      }
    }
    state = State.MASKED;
    return in;
  }

  /** Round 2 input. */
  public void receiveMasked(MaskedInput m) {
    expect(State.MASKED);
    if (!sharesFrom.containsKey(m.client())) {
      throw new FlException(ErrorCode.PERMISSION_DENIED, "client " + m.client() + " sent a masked input but is not in U2");
    }
    Checks.checkArgument(m.masked().length == params.length(), "masked input length of client " + m.client(),
        "= " + params.length(), m.masked().length);
    if (masked.contains(m.client())) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, "client " + m.client() + " sent a second masked input");
    }
    if (maskedSum == null) {
      maskedSum = new int[params.length()];
    }
    int[] y = m.masked();
    for (int i = 0; i < y.length; i++) {
      maskedSum[i] += y[i];
    }
    masked.add(m.client());
    bytesIn += m.wireBytes();
  }

  /**
   * Authenticated mode: closes round 2 and returns the survivor list for the clients to sign (U3 is who
   * sent a masked input, the rest of U2 dropped out).
   */
  public UnmaskRequest consistencyRequest() {
    expect(State.MASKED);
    request = survivorList();
    bytesOut += (long) request.wireBytes() * masked.size();
    state = State.CONSISTENCY;
    return request;
  }

  /** Authenticated mode: one survivor's signature over the list. */
  public void receiveSurvivorSignature(SecAggMessages.SurvivorSignature s) {
    expect(State.CONSISTENCY);
    if (!masked.contains(s.client())) {
      throw new FlException(ErrorCode.PERMISSION_DENIED, "client " + s.client() + " signed the survivor list but is not in U3");
    }
    survivorSignatures.put(s.client(), s.signature());
    bytesIn += s.wireBytes();
  }

  /**
   * Closes round 2 (or, in authenticated mode, the consistency check): the request every survivor answers
   * with its shares, carrying the survivors' signatures when there are any.
   */
  public UnmaskRequest unmaskRequest() {
    Checks.checkState(state == State.MASKED || state == State.CONSISTENCY,
        "secure aggregation server is in state " + state + ", expected MASKED or CONSISTENCY");
    UnmaskRequest base = state == State.MASKED ? survivorList() : request;
    request = new UnmaskRequest(base.dropped(), base.survivors(), survivorSignatures);
    bytesOut += (long) request.wireBytes() * masked.size();
    state = State.UNMASK;
    return request;
  }

  private UnmaskRequest survivorList() {
    Set<Integer> dropped = new TreeSet<>(sharesFrom.keySet());
    dropped.removeAll(masked);
    return new UnmaskRequest(dropped, masked);
  }

  /** Round 3 input. */
  public void receiveUnmask(UnmaskResponse r) {
    expect(State.UNMASK);
    if (!masked.contains(r.client())) {
      throw new FlException(ErrorCode.PERMISSION_DENIED, "client " + r.client() + " sent unmask shares but is not in U3");
    }
    responses.add(r);
    bytesIn += r.wireBytes();
  }

  /** The clients whose inputs are in the sum. */
  public Set<Integer> contributors() {
    Checks.checkState(request != null, "unmaskRequest() has not been called");
    return request.survivors();
  }

  /**
   * Unmasks and decodes the sum of the survivors' inputs. Three phases, the last two in parallel on
   * {@link Parallel}'s pool: (1) check that every needed secret has t shares (QUORUM_NOT_MET otherwise) and
   * list the masks to remove; (2) reconstruct the secrets (Shamir, only among each client's neighbours)
   * and agree the dropped clients' pairwise seeds, one task per secret or pair; (3) remove all masks from
   * fixed chunks of the vector ({@link #UNMASK_GRAIN} words each), every chunk expanding its slice of every
   * mask (AES-CTR seeks to the chunk's counter block). Chunks write disjoint slices, so the result does not
   * depend on the number of threads.
   */
  public double[] finish() {
    expect(State.UNMASK);
    int t = params.threshold();
    int[] sum = maskedSum == null ? new int[params.length()] : maskedSum.clone();
    Map<Integer, List<Shamir.Share>> bShares = new HashMap<>();
    Map<Integer, List<Shamir.Share>> skShares = new HashMap<>();
    for (UnmaskResponse r : responses) {
      r.selfMaskShares().forEach((v, s) -> bShares.computeIfAbsent(v, k -> new ArrayList<>()).add(s));
      r.maskKeyShares().forEach((v, s) -> skShares.computeIfAbsent(v, k -> new ArrayList<>()).add(s));
    }
    // (1) what to reconstruct: survivors' self-mask seeds, then dropped clients' mask keys
    List<List<Shamir.Share>> secrets = new ArrayList<>();
    for (int u : masked) {
      List<Shamir.Share> s = bShares.getOrDefault(u, List.of());
      if (s.size() < t) {
        throw new FlException(ErrorCode.QUORUM_NOT_MET, "cannot unmask: " + s.size() + " shares of client " + u
            + "'s self mask, threshold " + t + "; too many clients dropped out");
      }
      secrets.add(s);
    }
    int selfMasks = secrets.size();
    List<int[]> pairs = new ArrayList<>(); // {index of v's key in secrets, u}
    for (int v : request.dropped()) {
      List<Shamir.Share> s = skShares.getOrDefault(v, List.of());
      if (s.size() < t) {
        throw new FlException(ErrorCode.QUORUM_NOT_MET, "cannot unmask: " + s.size() + " shares of dropped client " + v
            + "'s mask key, threshold " + t + "; too many clients dropped out");
      }
      int vi = secrets.size();
      secrets.add(s);
      for (int u : graph.neighbours(v)) {
        if (masked.contains(u) && sharesFrom.get(u).stream().anyMatch(e -> e.to() == v)) {
          pairs.add(new int[] {vi, u, v});
        }
      }
    }
    // (2) secrets and pairwise seeds, in parallel
    byte[][] recovered = new byte[secrets.size()][];
    Parallel.forEachChunk(secrets.size(), 1, (c, from, to) -> {
      for (int i = from; i < to; i++) {
        recovered[i] = Shamir.combine(secrets.get(i), t, 32);
      }
    });
    byte[][] seeds = new byte[selfMasks + pairs.size()][];
    int[] signs = new int[seeds.length];
    for (int i = 0; i < selfMasks; i++) {
      seeds[i] = recovered[i];
      signs[i] = -1;
    }
    Parallel.forEachChunk(pairs.size(), 1, (c, from, to) -> {
      for (int i = from; i < to; i++) {
        int[] p = pairs.get(i);
        byte[] maskKey = keys.get(p[1]).maskKey();
        // u added sign(u, v) * PRG(s_uv); remove it.
        seeds[selfMasks + i] = Crypto.agree(recovered[p[0]], Crypto.rawPublic(maskKey), "starling-secagg-mask");
        signs[selfMasks + i] = p[1] < p[2] ? -1 : +1;
      }
    });
    // (3) remove every mask, chunk by chunk
    Parallel.forEachChunk(sum.length, UNMASK_GRAIN, (c, from, to) -> {
      Crypto.MaskStream prg = new Crypto.MaskStream();
      for (int i = 0; i < seeds.length; i++) {
        prg.add(sum, from, to, seeds[i], signs[i]);
      }
    });
    state = State.DONE;
    return params.codec().decode(sum);
  }

  /** Words per unmasking chunk: a multiple of 4 (one AES block), 64 KB of the sum, so a chunk stays in cache. */
  static final int UNMASK_GRAIN = 1 << 14;

  /** Bytes received from clients so far. */
  public long bytesIn() {
    return bytesIn;
  }

  /** Bytes sent to clients so far. */
  public long bytesOut() {
    return bytesOut;
  }

  private void expect(State s) {
    Checks.checkState(state == s, "secure aggregation server is in state " + state + ", expected " + s);
  }
}
