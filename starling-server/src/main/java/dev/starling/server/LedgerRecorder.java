package dev.starling.server;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.ledger.Block;
import dev.starling.ledger.ClientSignatures;
import dev.starling.ledger.Digests;
import dev.starling.ledger.Ledger;
import dev.starling.ledger.ModelStore;
import dev.starling.ledger.RoundEntry;
import dev.starling.ledger.SignatureAttachment;
import dev.starling.ledger.contribution.ContributionMethod;
import dev.starling.ledger.contribution.Contributions;
import dev.starling.strategy.ClientVerdict;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * Appends one ledger block per committed round: the digests of the model before and after, every
 * accepted update's digest and example count (with the client's signature when clients sign), the
 * rejected clients and robust-rule verdicts, and, when asked, contribution scores and rewards computed
 * on the server's validation set. The next round does not start until the block is committed, because
 * {@link #onRoundCommitted} runs on the round loop's thread. Rounds the ledger already holds (a resumed
 * run) are not written again.
 */
public final class LedgerRecorder implements RoundListener {
  private static final System.Logger LOG = System.getLogger(LedgerRecorder.class.getName());

  /**
   * Contribution scoring: the method, its settings, the validation utility (higher is better) and the
   * budget of reward shared out each round.
   */
  public record Scoring(ContributionMethod method, Contributions.Settings settings,
      ToDoubleFunction<ParameterSet> utility, double budgetPerRound) {
    public Scoring {
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(settings, "settings");
      Objects.requireNonNull(utility, "utility");
    }
  }

  private final Ledger ledger;
  private final byte[] configHash;
  private final Map<ClientId, byte[]> clientKeys;
  private final Scoring scoring;
  private final int lastRecordedRound;
  private final ModelStore kept;

  private int round = -1;
  private ParameterSet before;
  private byte[] beforeHash;
  private final List<RoundEntry.Participant> participants = new ArrayList<>();
  private final List<Contributions.Update> updates = new ArrayList<>();
  private RoundRecord record;

  /**
   * {@code clientKeys}: each client's Ed25519 public key (X.509); when not empty, every update must
   * carry its client's signature of (round, update digest) in {@link SignatureAttachment#KEY} or it is
   * refused before it is folded. {@code scoring} null: no contribution scores. {@code kept} null: the
   * updates and models are not kept; else each accepted update and each round's models go there, for
   * {@code ledger verify --models}.
   */
  public LedgerRecorder(Ledger ledger, byte[] configHash, Map<ClientId, byte[]> clientKeys, Scoring scoring,
      ModelStore kept) {
    this.ledger = Objects.requireNonNull(ledger, "ledger");
    this.configHash = configHash.clone();
    this.clientKeys = Map.copyOf(clientKeys);
    this.scoring = scoring;
    this.lastRecordedRound = ledger.last().map(b -> b.body().round()).orElse(-1);
    this.kept = kept;
  }

  @Override
  public void onRoundStart(int r, int clientsSelected) {
    round = r; // also on a retried round: only the attempt that is folded counts
    before = null;
    beforeHash = null;
    participants.clear();
    updates.clear();
  }

  @Override
  public void onUpdateAccepted(int r, ParameterSet global, ClientId client, TrainResult result) {
    if (before == null) {
      before = global;
      beforeHash = Digests.of(global);
    }
    byte[] hash = Digests.of(result.parameters());
    byte[] key = new byte[0];
    byte[] sig = new byte[0];
    if (!clientKeys.isEmpty()) {
      key = clientKeys.get(client);
      if (key == null) {
        throw new FlException(ErrorCode.PERMISSION_DENIED, "client " + client + " has no registered ledger key");
      }
      Optional<byte[]> s = result.attachments().get(SignatureAttachment.KEY).flatMap(SignatureAttachment::read);
      if (s.isEmpty()) {
        throw new FlException(ErrorCode.UNAUTHENTICATED, "client " + client + " sent no signature of its update for round " + r);
      }
      if (!ClientSignatures.verify(key, r, hash, s.get())) {
        throw new FlException(ErrorCode.UNAUTHENTICATED, "client " + client + "'s signature of (round " + r
            + ", update digest) does not verify; the update is refused");
      }
      sig = s.get();
    }
    participants.add(new RoundEntry.Participant(client.value(), hash, result.numExamples(), key, sig));
    if (kept != null) {
      kept.put(result.parameters());
    }
    if (scoring != null && result.numExamples() > 0) {
      updates.add(new Contributions.Update(client.value(), result.parameters(), result.numExamples()));
    }
  }

  @Override
  public void onRoundEnd(RoundRecord rec) {
    record = rec;
  }

  @Override
  public void onRoundCommitted(int r, ParameterSet global, History history) {
    if (record == null || record.round() != r || !record.committed() || before == null) {
      return; // a round that kept the previous model adds no block
    }
    if (r <= lastRecordedRound) {
      LOG.log(Level.INFO, "ledger already holds round {0}; not writing it again", r);
      return;
    }
    List<RoundEntry.Rejection> rejected = new ArrayList<>();
    for (ClientFailure f : record.failures()) {
      rejected.add(new RoundEntry.Rejection(f.client().value(), f.code().name(), f.reason()));
    }
    List<RoundEntry.Flag> flags = new ArrayList<>();
    for (ClientVerdict v : record.verdicts()) {
      flags.add(new RoundEntry.Flag(v.client().value(), v.action().name().toLowerCase(Locale.ROOT),
          v.rule() + ", weight " + v.weight()));
    }
    List<RoundEntry.Contribution> contributions = new ArrayList<>();
    String method = "";
    if (scoring != null && !updates.isEmpty()) {
      method = scoring.method().id();
      Contributions.Settings st = new Contributions.Settings(scoring.settings().permutations(),
          scoring.settings().truncation(), scoring.settings().roundTruncation(), scoring.settings().convergence(),
          scoring.settings().seed() ^ (r * 0x9E3779B97F4A7C15L));
      double[] scores = new Contributions(updates, before, scoring.utility()).compute(scoring.method(), st).scores();
      for (int i = 0; i < updates.size(); i++) {
        String c = updates.get(i).client();
        boolean freeRider = Arrays.equals(Digests.of(updates.get(i).parameters()), beforeHash);
        if (freeRider) {
          scores[i] = Math.min(scores[i], 0); // sending the global model back earns nothing
          flags.add(new RoundEntry.Flag(c, "free-rider", "sent back the global model unchanged"));
        } else if (scores[i] <= 0) {
          flags.add(new RoundEntry.Flag(c, "no-contribution", method + " score " + scores[i]));
        }
      }
      double[] rewards = Contributions.rewards(scores, scoring.budgetPerRound());
      for (int i = 0; i < updates.size(); i++) {
        contributions.add(new RoundEntry.Contribution(updates.get(i).client(), scores[i], rewards[i]));
      }
    }
    if (kept != null) {
      kept.put(before);
      kept.put(global);
    }
    RoundEntry entry = new RoundEntry(r, configHash, beforeHash, Digests.of(global), participants, rejected, flags,
        method, contributions, record.metric("epsilon"));
    Block b = ledger.append(entry);
    LOG.log(Level.DEBUG, "ledger block {0} for round {1}", b.index(), r);
    before = null;
  }
}
