package dev.starling.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.Attachments;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.ledger.Block;
import dev.starling.ledger.ClientSignatures;
import dev.starling.ledger.Digests;
import dev.starling.ledger.Ed25519;
import dev.starling.ledger.FileLedger;
import dev.starling.ledger.LedgerVerifier;
import dev.starling.ledger.RoundEntry;
import dev.starling.ledger.SignatureAttachment;
import dev.starling.ledger.contribution.ContributionMethod;
import dev.starling.ledger.contribution.Contributions;
import dev.starling.strategy.FedAvg;
import dev.starling.testkit.TestParameters;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LedgerRecorderTest {
  private static final ParameterSet INITIAL = TestParameters.constant(TestParameters.random(2, 2, 1), 0f);

  @TempDir
  Path dir;

  private static Ed25519 key(int seed) {
    return Ed25519.generate(new SecureRandom() {
      @Override
      public void nextBytes(byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
          bytes[i] = (byte) (seed + 13 * i);
        }
      }
    });
  }

  /** A client that computes its update from the global model and signs (round, digest) with {@code signer}. */
  private record SigningClient(ClientId id, UnaryOperator<ParameterSet> train, Ed25519 signer) implements ClientProxy {
    @Override
    public CompletableFuture<FitOutcome> fit(ParameterSet global, TrainConfig config) {
      ParameterSet p = train.apply(global);
      byte[] sig = ClientSignatures.sign(signer, config.round(), Digests.of(p));
      TrainResult r = new TrainResult(p, 10, 1, Metrics.of("loss", 1.0),
          Attachments.none().with(SignatureAttachment.KEY, SignatureAttachment.of(sig)));
      return CompletableFuture.completedFuture(new FitOutcome(r, 0, 0));
    }

    @Override
    public CompletableFuture<EvalResult> evaluate(ParameterSet global) {
      return CompletableFuture.completedFuture(new EvalResult(1, Metrics.of("loss", 0.0)));
    }
  }

  @Test
  void oneSignedBlockPerRoundWithScoresAFreeRiderNamedAndAForgedSignatureRefused() throws IOException {
    Map<ClientId, byte[]> keys = new HashMap<>();
    List<ClientProxy> clients = new ArrayList<>();
    UnaryOperator<ParameterSet> towardOne = g -> TestParameters.constant(g, 1f);
    UnaryOperator<ParameterSet> halfway = g -> TestParameters.constant(g, 0.5f + 0.5f * g.flatten()[0]);
    UnaryOperator<ParameterSet> freeRide = g -> g;
    UnaryOperator<ParameterSet> poison = g -> TestParameters.constant(g, 50f);
    List<UnaryOperator<ParameterSet>> behaviour = List.of(towardOne, halfway, freeRide, poison);
    for (int i = 0; i < 4; i++) {
      ClientId id = ClientId.ofIndex(i);
      keys.put(id, key(i).publicKey());
      // client 3 signs with a key that is not the one registered for it
      clients.add(new SigningClient(id, behaviour.get(i), i == 3 ? key(77) : key(i)));
    }
    // validation utility: minus the mean squared distance to the all-ones model
    LedgerRecorder.Scoring scoring = new LedgerRecorder.Scoring(ContributionMethod.EXACT,
        Contributions.Settings.defaults(1), p -> {
          double s = 0;
          for (float v : p.flatten()) {
            s -= (v - 1) * (v - 1);
          }
          return s / p.size();
        }, 10.0);
    Clock clock = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
    byte[] config = Digests.sha256("run config".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    RoundLoop.Result result;
    try (FileLedger ledger = FileLedger.open(dir, key(100), clock)) {
      LedgerRecorder rec = new LedgerRecorder(ledger, config, keys, scoring, null);
      result = new RoundLoop(new FedAvg(), ClientPool.of(clients),
          RoundLoopConfig.builder().rounds(2).fractionFit(1.0).seed(42).build(), rec).run(INITIAL);
    }
    // the forger's 50s never reached the model: round 1 gives (1 + 0.5 + 0) / 3 = 0.5, round 2 (1 + 0.75 + 0.5) / 3
    assertThat(result.global().flatten()[0]).isCloseTo((1f + (0.5f + 0.5f * 0.5f) + 0.5f) / 3, org.assertj.core.api.Assertions.within(1e-6f));
    assertThat(result.history().rounds().get(0).failures()).singleElement()
        .satisfies(f -> {
          assertThat(f.client()).isEqualTo(ClientId.ofIndex(3));
          assertThat(f.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        });

    LedgerVerifier.Result v = LedgerVerifier.verify(dir, Optional.of(key(100).publicKey()));
    assertThat(v.ok()).as(v.describe()).isTrue();
    assertThat(v.blocks()).hasSize(2);
    Block b0 = v.blocks().get(0);
    RoundEntry e = b0.body();
    assertThat(e.round()).isEqualTo(1);
    assertThat(e.modelBefore()).isEqualTo(Digests.of(INITIAL));
    assertThat(e.modelAfter()).isEqualTo(v.blocks().get(1).body().modelBefore());
    assertThat(v.blocks().get(1).body().modelAfter()).isEqualTo(Digests.of(result.global()));
    assertThat(e.participants()).extracting(RoundEntry.Participant::client)
        .containsExactlyInAnyOrder(ClientId.ofIndex(0).value(), ClientId.ofIndex(1).value(), ClientId.ofIndex(2).value());
    assertThat(e.participants()).allMatch(RoundEntry.Participant::signed);
    assertThat(e.rejected()).extracting(RoundEntry.Rejection::client, RoundEntry.Rejection::code)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(ClientId.ofIndex(3).value(), "UNAUTHENTICATED"));
    assertThat(e.contributionMethod()).isEqualTo("exact");
    assertThat(e.flags()).extracting(RoundEntry.Flag::client, RoundEntry.Flag::kind)
        .contains(org.assertj.core.groups.Tuple.tuple(ClientId.ofIndex(2).value(), "free-rider"));
    Map<String, RoundEntry.Contribution> by = new HashMap<>();
    e.contributions().forEach(c -> by.put(c.client(), c));
    RoundEntry.Contribution c0 = by.get(ClientId.ofIndex(0).value());
    RoundEntry.Contribution c1 = by.get(ClientId.ofIndex(1).value());
    RoundEntry.Contribution c2 = by.get(ClientId.ofIndex(2).value());
    assertThat(c0.score()).isGreaterThan(c1.score());
    assertThat(c1.score()).isGreaterThan(0);
    assertThat(c0.reward()).isGreaterThan(c1.reward());
    assertThat(c2.reward()).isZero();
    assertThat(e.contributions().stream().mapToDouble(RoundEntry.Contribution::reward).sum())
        .isCloseTo(10.0, org.assertj.core.api.Assertions.within(1e-9));
  }
}
