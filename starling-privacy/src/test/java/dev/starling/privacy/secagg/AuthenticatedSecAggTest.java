package dev.starling.privacy.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.privacy.secagg.SecAggMessages.AdvertiseKeys;
import dev.starling.privacy.secagg.SecAggMessages.EncryptedShare;
import dev.starling.privacy.secagg.SecAggMessages.KeyDirectory;
import dev.starling.privacy.secagg.SecAggMessages.UnmaskRequest;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The actively secure additions: signed keys and the consistency check, all through the wire codec. */
class AuthenticatedSecAggTest {
  private static final int N = 8;
  private static final int LEN = 50;
  private static final FixedPoint CODEC = new FixedPoint(16, 4, N);
  private static final SecureRandom RNG = new SecureRandom();

  @SuppressWarnings("unchecked")
  private static <T extends SecAggMessages.Message> T wire(T m) {
    return (T) SecAggWire.decode(SecAggWire.encode(m));
  }

  private final SecAggParams params = SecAggParams.forClients(N, 0.25, CODEC, LEN);
  private final List<SecAggClient> clients = new ArrayList<>();
  private final Map<Integer, float[]> inputs = new TreeMap<>();
  private final SecAggServer server = new SecAggServer(params);

  AuthenticatedSecAggTest() {
    Map<Integer, KeyPair> ids = new HashMap<>();
    Map<Integer, PublicKey> pki = new HashMap<>();
    for (int i = 0; i < N; i++) {
      KeyPair kp = SecAggAuth.newIdentity(RNG);
      ids.put(i, kp);
      pki.put(i, kp.getPublic());
    }
    for (int i = 0; i < N; i++) {
      clients.add(new SecAggClient(i, params, RNG, new SecAggAuth(ids.get(i), pki)));
      float[] x = new float[LEN];
      for (int j = 0; j < LEN; j++) {
        x[j] = (float) Math.cos(i + 0.1 * j);
      }
      inputs.put(i, x);
    }
  }

  /** Rounds 0-2 with client 5 dropping out before masking. */
  private void upToMasking(KeyDirectory dir) {
    for (SecAggClient c : clients) {
      server.receiveShares(c.id(), c.shareKeys(wire(dir)));
    }
    Map<Integer, List<EncryptedShare>> inbox = server.inboxes();
    for (SecAggClient c : clients) {
      if (c.id() != 5) {
        server.receiveMasked(wire(c.maskInput(inbox.get(c.id()), inputs.get(c.id()))));
      }
    }
  }

  @Test
  void signedProtocolWithConsistencyCheck_givesTheExactSum() {
    clients.forEach(c -> server.receive(wire(c.advertise())));
    upToMasking(server.directory());
    UnmaskRequest check = wire(server.consistencyRequest());
    for (SecAggClient c : clients) {
      if (c.id() != 5) {
        server.receiveSurvivorSignature(wire(c.signSurvivors(check)));
      }
    }
    UnmaskRequest req = wire(server.unmaskRequest());
    assertThat(req.signatures()).hasSize(7);
    for (SecAggClient c : clients) {
      if (c.id() != 5 && c.id() != 2) { // 2 drops out before unmasking
        server.receiveUnmask(wire(c.unmask(req)));
      }
    }
    int[] expected = new int[LEN];
    for (int id : List.of(0, 1, 2, 3, 4, 6, 7)) {
      int[] e = CODEC.encode(inputs.get(id));
      for (int j = 0; j < LEN; j++) {
        expected[j] += e[j];
      }
    }
    assertThat(server.finish()).containsExactly(CODEC.decode(expected));
  }

  @Test
  void serverSubstitutingAClientsKeys_isDetectedBeforeAnySecretIsShared() {
    clients.forEach(c -> server.receive(c.advertise()));
    KeyDirectory honest = server.directory();
    Map<Integer, AdvertiseKeys> forged = new HashMap<>(honest.keys());
    AdvertiseKeys victim = forged.get(3);
    SecAggClient impostor = new SecAggClient(3, params, RNG);
    AdvertiseKeys mine = impostor.advertise();
    forged.put(3, new AdvertiseKeys(3, mine.encryptionKey(), mine.maskKey(), victim.signature()));
    KeyDirectory evil = new KeyDirectory(forged, honest.threshold(), honest.neighbours(), honest.graphSeed());
    assertThatThrownBy(() -> clients.get(0).shareKeys(evil))
        .isInstanceOfSatisfying(FlException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED))
        .hasMessageContaining("not signed");
  }

  @Test
  void serverTellingDifferentSurvivorLists_cannotCollectShares() {
    clients.forEach(c -> server.receive(c.advertise()));
    upToMasking(server.directory());
    UnmaskRequest check = server.consistencyRequest();
    List<SecAggMessages.SurvivorSignature> sigs = new ArrayList<>();
    for (SecAggClient c : clients) {
      if (c.id() != 5) {
        sigs.add(c.signSurvivors(check));
      }
    }
    // Claim client 1 dropped (to get its mask-key shares) while holding the signatures of the true list.
    Set<Integer> fakeSurvivors = Set.of(0, 2, 3, 4, 6, 7);
    Map<Integer, byte[]> s = new HashMap<>();
    sigs.forEach(x -> s.put(x.client(), x.signature()));
    UnmaskRequest lie = new UnmaskRequest(Set.of(1, 5), fakeSurvivors, s);
    assertThatThrownBy(() -> clients.get(0).unmask(lie)).isInstanceOf(FlException.class)
        .hasMessageContaining("differs from the one it signed");
    // The true list with too few signatures is refused as well.
    Map<Integer, byte[]> few = new HashMap<>();
    few.put(0, s.get(0));
    UnmaskRequest unsigned = new UnmaskRequest(check.dropped(), check.survivors(), few);
    assertThatThrownBy(() -> clients.get(3).unmask(unsigned)).isInstanceOf(FlException.class)
        .hasMessageContaining("survivors signed");
  }

  @Test
  void serverShowingClientsDifferentKeyDirectories_isCaughtByTheConsistencyCheck() {
    clients.forEach(c -> server.receive(c.advertise()));
    KeyDirectory full = server.directory();
    // Equivocation: clients 3, 4, 5 and 6 are shown a directory without client 7 (all keys genuinely signed).
    Map<Integer, AdvertiseKeys> without7 = new HashMap<>(full.keys());
    without7.remove(7);
    KeyDirectory partial = new KeyDirectory(without7, full.threshold(), full.neighbours(), full.graphSeed());
    Set<Integer> misled = Set.of(3, 4, 5, 6);
    for (SecAggClient c : clients) {
      server.receiveShares(c.id(), c.shareKeys(wire(misled.contains(c.id()) ? partial : full)));
    }
    Map<Integer, List<EncryptedShare>> inbox = server.inboxes();
    for (SecAggClient c : clients) {
      List<EncryptedShare> mine = inbox.get(c.id()).stream()
          .filter(e -> !misled.contains(c.id()) || e.from() != 7).toList(); // keep the story consistent
      server.receiveMasked(wire(c.maskInput(mine, inputs.get(c.id()))));
    }
    UnmaskRequest check = wire(server.consistencyRequest());
    for (SecAggClient c : clients) {
      server.receiveSurvivorSignature(wire(c.signSurvivors(check)));
    }
    UnmaskRequest req = wire(server.unmaskRequest());
    assertThat(req.signatures()).hasSize(N); // every survivor signed the same survivor list ...
    assertThat(full.threshold()).isEqualTo(5);
    for (SecAggClient c : clients) { // ... but over different directories: 4 and 4 signatures, below t = 5
      assertThatThrownBy(() -> c.unmask(req))
          .isInstanceOfSatisfying(FlException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED))
          .hasMessageContaining("different lists or directories");
    }
  }

  @Test
  void authenticatedServer_refusesKeysNotSignedByTheRegisteredIdentity() {
    Map<Integer, PublicKey> pki = new HashMap<>();
    Map<Integer, KeyPair> ids = new HashMap<>();
    for (int i = 0; i < 4; i++) {
      ids.put(i, SecAggAuth.newIdentity(RNG));
      pki.put(i, ids.get(i).getPublic());
    }
    SecAggServer checked = new SecAggServer(SecAggParams.forClients(4, 0.2, CODEC, LEN), new SecAggAuth(null, pki));
    SecAggParams p = SecAggParams.forClients(4, 0.2, CODEC, LEN);
    checked.receive(new SecAggClient(0, p, RNG, new SecAggAuth(ids.get(0), pki)).advertise());
    // client 1 signs with client 2's identity key; client 3 does not sign at all
    AdvertiseKeys wrong = new SecAggClient(1, p, RNG, new SecAggAuth(ids.get(2), pki)).advertise();
    assertThatThrownBy(() -> checked.receive(wrong))
        .isInstanceOfSatisfying(FlException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED))
        .hasMessage("client 1's secure aggregation keys are not signed by its registered identity key");
    AdvertiseKeys unsigned = new SecAggClient(3, p, RNG).advertise();
    assertThatThrownBy(() -> checked.receive(unsigned)).hasMessageEndingWith("(unsigned)");
  }

  @Test
  void pemKeys_roundTripAndAMismatchedPairIsRefused() {
    KeyPair a = SecAggAuth.newIdentity(RNG);
    KeyPair b = SecAggAuth.newIdentity(RNG);
    PublicKey pub = SecAggAuth.publicKeyFromPem(SecAggAuth.toPem(a.getPublic()), "a.pub");
    java.security.PrivateKey priv = SecAggAuth.privateKeyFromPem(SecAggAuth.toPem(a.getPrivate()), "a.key");
    assertThat(pub.getEncoded()).isEqualTo(a.getPublic().getEncoded());
    assertThat(SecAggAuth.identity(priv, pub, "client a").getPublic()).isEqualTo(pub);
    assertThatThrownBy(() -> SecAggAuth.identity(priv, b.getPublic(), "client a"))
        .hasMessage("client a: the private key does not match the registered public key");
    assertThatThrownBy(() -> SecAggAuth.publicKeyFromPem("hello", "x.pub")).hasMessageStartingWith("x.pub: expected a PEM block");
  }
}
