package dev.starling.vertical.psi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.FlException;
import dev.starling.core.random.RandomSource;
import dev.starling.vertical.link.InProcessLink;
import dev.starling.vertical.link.PartyLink;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class PsiTest {
  static List<String> ids(String prefix, int from, int to) {
    List<String> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add(prefix + i);
    }
    return out;
  }

  @Test
  void intersect_threeParties_findExactlyTheCommonIds() {
    List<String> a = ids("u", 0, 60);
    List<String> b = ids("u", 30, 90);
    List<String> c = new ArrayList<>(ids("u", 0, 45));
    c.addAll(ids("x", 0, 10));
    RandomSource rng = RandomSource.seeded(1);
    List<PsiParty> parties = List.of(new PsiParty("a", a, rng.derive(1)), new PsiParty("b", b, rng.derive(2)),
        new PsiParty("c", c, rng.derive(3)));
    List<List<String>> got = Psi.intersect(parties, (i, m) -> {});
    List<String> expected = new ArrayList<>(new TreeSet<>(ids("u", 30, 45)));
    assertThat(got).hasSize(3).allSatisfy(r -> assertThat(r).isEqualTo(expected));
  }

  @Test
  void intersect_curiousParty_receivesNothingThatMatchesItsOwnHashingOfOtherIds() throws Exception {
    List<String> a = ids("alice-", 0, 40);
    List<String> b = new ArrayList<>(ids("alice-", 20, 40));
    b.addAll(ids("bob-", 0, 40));
    RandomSource rng = RandomSource.seeded(2);
    PsiParty pa = new PsiParty("a", a, rng.derive(1));
    PsiParty pb = new PsiParty("b", b, rng.derive(2));
    Map<Integer, List<byte[]>> received = new HashMap<>();
    List<List<String>> got = Psi.intersect(List.of(pa, pb), (i, m) -> received.computeIfAbsent(i, k -> new ArrayList<>()).addAll(List.of(m)));
    assertThat(got.get(0)).isEqualTo(got.get(1)).hasSize(20);
    // what a curious party a could compute about b's other ids: the raw id, its SHA-256, its curve hash,
    // and the curve hash under a's own key (which is what a double-blinded match would look like)
    List<byte[]> guesses = new ArrayList<>();
    for (String id : ids("bob-", 0, 40)) {
      byte[] raw = id.getBytes(StandardCharsets.UTF_8);
      guesses.add(raw);
      guesses.add(MessageDigest.getInstance("SHA-256").digest(raw));
      guesses.add(PsiParty.encode(PsiParty.hash(id)));
      guesses.add(pa.reblind(new byte[][] {PsiParty.encode(PsiParty.hash(id))})[0]);
    }
    for (String id : ids("alice-", 0, 20)) {
      guesses.add(pb.reblind(new byte[][] {PsiParty.encode(PsiParty.hash(id))})[0]);
      guesses.add(PsiParty.encode(PsiParty.hash(id)));
    }
    assertThat(received.get(0)).isNotEmpty();
    assertThat(received.get(1)).isNotEmpty();
    for (List<byte[]> msgs : received.values()) {
      for (byte[] m : msgs) {
        for (byte[] g : guesses) {
          assertThat(contains(m, g)).as("a received message contains a guessable encoding of a non-intersecting id").isFalse();
        }
      }
    }
    // and the double-blinded intersecting ids do appear (so the check above could fail)
    byte[] both = pb.reblind(pa.reblind(new byte[][] {PsiParty.encode(PsiParty.hash("alice-25"))}))[0];
    assertThat(received.get(0).stream().anyMatch(m -> contains(m, both))).isTrue();
  }

  static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  @Test
  void leadFollow_overInProcessLink_agreeOnTheIntersection() throws Exception {
    InProcessLink[] link = InProcessLink.pair("leader", "follower", Duration.ofSeconds(30));
    PsiParty l = new PsiParty("leader", ids("r", 0, 300), RandomSource.seeded(3));
    PsiParty f = new PsiParty("follower", ids("r", 250, 400), RandomSource.seeded(4));
    CompletableFuture<List<String>> fr = CompletableFuture.supplyAsync(() -> Psi.follow(f, link[1]));
    List<String> lr = Psi.lead(l, link[0]);
    assertThat(lr).isEqualTo(fr.get()).isEqualTo(new ArrayList<>(new TreeSet<>(ids("r", 250, 300))));
    // traffic: 2 x 300 + 150 points of 33 bytes plus small headers
    assertThat(link[0].bytesSent() + link[1].bytesSent()).isBetween(750L * 33, 750L * 33 + 1000);
  }

  @Test
  void party_duplicateIds_refusedNamingTheId() {
    assertThatThrownBy(() -> new PsiParty("bank", List.of("a", "b", "a"), RandomSource.seeded(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bank").hasMessageContaining("'a'");
  }

  @Test
  void reblind_invalidPoint_refused() {
    PsiParty p = new PsiParty("p", List.of("a"), RandomSource.seeded(1));
    byte[] bad = new byte[PsiParty.POINT_BYTES];
    bad[0] = 2;
    bad[32] = 7;
    assertThatThrownBy(() -> p.reblind(new byte[][] {bad})).isInstanceOf(FlException.class).hasMessageContaining("position 0");
  }

  @Test
  void follow_wrongProtocol_refusedNamingBoth() {
    InProcessLink[] link = InProcessLink.pair("a", "b", Duration.ofSeconds(5));
    link[0].send(new dev.starling.vertical.link.Wire.Writer("vlr/1", 1).toByteArray());
    PartyLink l = link[1];
    assertThatThrownBy(() -> Psi.follow(new PsiParty("b", List.of("x"), RandomSource.seeded(1)), l))
        .isInstanceOf(FlException.class).hasMessageContaining("vlr/1").hasMessageContaining("psi/1");
  }
}
