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
}
