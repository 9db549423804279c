package dev.starling.cli;

import dev.starling.core.learner.TrainConfig;
import dev.starling.core.message.AttachmentKey;
import dev.starling.core.message.ClientId;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.data.Dataset;
import dev.starling.data.Standardizer;
import dev.starling.strategy.ForwardingStrategy;
import dev.starling.strategy.Strategy;
import dev.starling.transport.grpc.wire.FeatureSums;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Agreed standardisation over the network, as {@code simulate} does in process: before round 1 each client
 * sends the statistics of its raw training rows ({@link FeatureSums}: count, per-feature sums and sums of
 * squares; asked for in the server's Welcome), the server sums them ({@link #agree}) and every training task
 * carries the one standardiser that results ({@link #KEY}); clients standardise their rows with it, the
 * server's evaluator its test set, and {@code --model-out} saves it (model file v2).
 *
 * <p>On the wire the standardiser is float32 tensors (means, deviations, and for regression the target's mean
 * and deviation each as a float pair {@code hi + lo}); the server uses the standardiser decoded from exactly
 * what it sends ({@link #canonical}), so clients, evaluator and model file agree to the bit.
 *
 * <p>Privacy: the server sees each client's row count and per-feature means and variances in the clear
 * (inside TLS). Secure aggregation exists to hide per-client data from the server, so the server refuses
 * agreed standardisation together with {@code secagg} rather than leak it beside the masked updates.
 */
final class AgreedStandardization {
  /** The attachment of training tasks that carries the agreed standardiser. */
  static final AttachmentKey KEY = new AttachmentKey("standardize.agreed");
  private static final String MEAN = "mean";
  private static final String STD = "std";
  private static final String TARGET = "target";
  /** Prefix of the decorator's tensors in the strategy state (checkpoints). */
  private static final String STATE_PREFIX = "standardize.agreed/";

  private AgreedStandardization() {}

  /** What a client reports: the statistics of its raw training rows. */
  static FeatureSums report(Dataset raw) {
    Standardizer.Statistics s = Standardizer.Statistics.of(raw);
    return new FeatureSums(s.count(), s.sum(), s.sumSquares(), s.targetSum(), s.targetSumSquares());
  }

  /** The federation's standardiser from the clients' reports (at least one), as it travels. */
  static Standardizer agree(Collection<FeatureSums> reports) {
    Standardizer.Statistics total = null;
    for (FeatureSums f : reports) {
      Standardizer.Statistics s = new Standardizer.Statistics(f.count(), f.sum(), f.sumSquares(), f.targetSum(),
          f.targetSumSquares());
      if (total != null && total.sum().length != s.sum().length) {
        throw new IllegalArgumentException("clients reported statistics of " + total.sum().length + " and of "
            + s.sum().length + " features: they do not hold the same kind of data");
      }
      total = total == null ? s : total.plus(s);
    }
    if (total == null) {
      throw new IllegalArgumentException("no client reported its standardisation statistics");
    }
    return canonical(total.standardizer());
  }

  /** {@code s} as the clients will decode it from a task. */
  static Standardizer canonical(Standardizer s) {
    return decode(encode(s, ""), "");
  }

  static ParameterSet encode(Standardizer s, String prefix) {
    float[] mean = s.mean();
    List<Tensor> t = new ArrayList<>(List.of(Tensor.of(prefix + MEAN, mean, mean.length),
        Tensor.of(prefix + STD, s.std(), mean.length)));
    if (s.hasTarget()) {
      float mh = (float) s.targetMean();
      float sh = (float) s.targetStd();
      t.add(Tensor.of(prefix + TARGET, new float[] {mh, (float) (s.targetMean() - mh), sh, (float) (s.targetStd() - sh)},
          4));
    }
    return ParameterSet.of(t);
  }

  static Standardizer decode(ParameterSet p, String prefix) {
    Set3 names = new Set3(p, prefix);
    double tm = 0;
    double ts = Double.NaN;
    if (names.target != null) {
      float[] v = names.target.data();
      if (v.length != 4) {
        throw new IllegalArgumentException("agreed standardiser: tensor '" + prefix + TARGET + "' must hold 4 values");
      }
      tm = (double) v[0] + v[1];
      ts = (double) v[2] + v[3];
    }
    return Standardizer.of(names.mean.data(), names.std.data(), tm, ts);
  }

  /** The mean, std and optional target tensors of {@code p}; refuses a set without mean and std. */
  private static final class Set3 {
    final Tensor mean;
    final Tensor std;
    final Tensor target;

    Set3(ParameterSet p, String prefix) {
      if (!p.names().contains(prefix + MEAN) || !p.names().contains(prefix + STD)) {
        throw new IllegalArgumentException("agreed standardiser: expected tensors '" + prefix + MEAN + "' and '" + prefix
            + STD + "', got " + p.names());
      }
      mean = p.get(prefix + MEAN);
      std = p.get(prefix + STD);
      target = p.names().contains(prefix + TARGET) ? p.get(prefix + TARGET) : null;
    }
  }

  /**
   * The server half: attaches the agreed standardiser to every training task and keeps it in the strategy
   * state, so a resumed run goes on with the standardiser its checkpointed model was trained with.
   */
  static final class ServerSide extends ForwardingStrategy {
    private volatile Standardizer agreed;

    ServerSide(Strategy delegate) {
      super(delegate);
    }

    /** Fixes the standardiser (before round 1; a checkpoint's replaces it in {@link #restoreState}). */
    void agreed(Standardizer s) {
      this.agreed = canonical(s);
    }

    /** The agreed standardiser, once fixed. */
    Optional<Standardizer> agreed() {
      return Optional.ofNullable(agreed);
    }

    @Override
    public TrainConfig configureTrain(int round, ClientId client, TrainConfig base) {
      TrainConfig c = super.configureTrain(round, client, base);
      Standardizer s = Objects.requireNonNull(agreed, "the agreed standardiser is fixed before round 1");
      return c.withAttachments(c.attachments().with(KEY, encode(s, "")));
    }

    @Override
    public ParameterSet saveState() {
      List<Tensor> out = new ArrayList<>();
      if (agreed != null) {
        out.addAll(encode(agreed, STATE_PREFIX).tensors());
      }
      out.addAll(super.saveState().tensors());
      return ParameterSet.of(out);
    }

    @Override
    public void restoreState(ParameterSet saved) {
      List<Tensor> mine = new ArrayList<>();
      List<Tensor> rest = new ArrayList<>();
      for (Tensor t : saved.tensors()) {
        (t.name().startsWith(STATE_PREFIX) ? mine : rest).add(t);
      }
      if (!mine.isEmpty()) {
        agreed = decode(ParameterSet.of(mine), STATE_PREFIX);
      }
      super.restoreState(ParameterSet.of(rest));
    }

    @Override
    public String describe() {
      return "AgreedStandardization <- " + super.describe();
    }
  }

  /**
   * The client half: this client's raw rows, standardised with the standardiser each training task carries
   * (or, when the server sends none, with the client's own statistics, as before agreed standardisation).
   * Evaluation uses the last agreed standardiser, or the client's own before the first training task.
   */
  static final class ClientData {
    private final Dataset raw;
    private final Dataset own;
    private Standardizer lastAgreed;
    private ParameterSet lastEncoded;
    private Dataset lastData;

    ClientData(Dataset raw, boolean standardize) {
      this.raw = raw;
      this.own = standardize ? Standardizer.fit(raw).apply(raw) : raw;
    }

    synchronized Dataset forFit(TrainConfig config) {
      Optional<ParameterSet> sent = config.attachments().get(KEY);
      if (sent.isEmpty()) {
        return own;
      }
      if (lastEncoded == null || !sameValues(lastEncoded, sent.get())) {
        lastAgreed = decode(sent.get(), "");
        lastEncoded = sent.get();
        lastData = lastAgreed.apply(raw);
      }
      return lastData;
    }

    synchronized Dataset forEval() {
      return lastData != null ? lastData : own;
    }

    private static boolean sameValues(ParameterSet a, ParameterSet b) {
      if (!a.names().equals(b.names())) {
        return false;
      }
      for (Tensor t : a.tensors()) {
        if (!java.util.Arrays.equals(t.data(), b.get(t.name()).data())) {
          return false;
        }
      }
      return true;
    }
  }
}
