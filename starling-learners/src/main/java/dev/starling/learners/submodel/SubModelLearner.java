package dev.starling.learners.submodel;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.ClientState;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.LocalLearner;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.AttachmentKey;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.data.Dataset;
import dev.starling.learners.ModelSpec;
import dev.starling.privacy.accounting.RdpAccountant;
import dev.starling.privacy.dp.GaussianNoise;
import dev.starling.privacy.dp.Updates;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A client that trains only a sub-model of the global model (Federated Dropout or FisherDropout, see
 * {@link NeuronPolicy}) of a {@link DroppableModel}: the built-in MLP's hidden neurons, or another model's units
 * (the DJL CNN's dense layer, see {@link SubModelCapable}), and uploads only the kept parameters with their positions; optionally with local
 * differential privacy on exactly those coordinates.
 *
 * <p>A fit: (1) choose the neurons — a data-dependent policy re-ranks on the full model on the client's
 * first round and every {@code fullModelEvery} rounds it takes part in, else reuses its last choice; a
 * random policy draws a new sub-model each round, seeded by (seed, round, client), as the server would;
 * (2) extract the sub-model and train it as the model trains (the MLP with {@code SgdLearner}); (3) with local DP, clip the
 * sub-model's update {@code d} (see below) and add {@code N(0, (z C)^2)} to every kept coordinate; (4) scatter the result into the global model and return it with
 * {@link AttachmentKey#TRAINED_MASK}, so a position-wise strategy averages each coordinate over the
 * clients that trained it.
 *
 * <p>Local DP budget per coordinate: {@code dpClip} = C is the clip norm of a full-model update of d
 * coordinates; a sub-model of k kept coordinates clips to {@code C sqrt(k/d)}, the same root-mean-square
 * bound per coordinate, and every sent coordinate gets the same noise {@code N(0, (z C)^2)}. Each
 * coordinate thus keeps its signal-to-noise ratio, while the release's L2 sensitivity shrinks with
 * {@code sqrt(k)}: its effective noise multiplier is {@code z sqrt(d/k)}, and epsilon falls with the
 * kept dimension. Epsilon is per client under replacement of its data (as in the privacy module's local
 * DP): a clipped update moves by up to twice its clip norm, so each release is a Gaussian mechanism of
 * multiplier {@code z sqrt(d/k) / 2}, composed over every round the client takes part in. Clipping, noise
 * and epsilon are the privacy module's ({@link Updates#clip}, {@link GaussianNoise}, {@link RdpAccountant}):
 * the releases' Renyi DP adds up to that of one Gaussian of multiplier {@code (sum_i 1 / z_i^2)^(-1/2)}
 * (q = 1, no sampling), which is what the accountant is asked for; with a constant multiplier z over T
 * releases that is exactly {@code RdpAccountant.epsilon(1, z, T, delta)}. The noise source follows
 * {@link SubModelConfig#seededNoise()}. That is the privacy gain of training a smaller sub-model (FisherDropout keeps the
 * coordinates that matter, so little accuracy is lost).
 *
 * <p>Metrics: {@link Metrics#WIRE_BYTES_UP} (4 bytes per kept parameter plus the kept neurons' positions),
 * {@link Metrics#WIRE_BYTES_DOWN} (the full model on refresh rounds, else the sub-model and its
 * positions), {@code submodel_fraction} (kept / all parameters), {@code submodel_refresh} (1 when the
 * full model was sent), and with DP {@code local_epsilon} (this client's epsilon after all its
 * releases, {@link RdpAccountant}), {@code local_noise_multiplier} (the effective z of this release, before the factor 1/2 of replacement) and
 * {@code clipped} (1 when the update was clipped). The client keeps its
 * neuron choice and release count in its {@link ClientState}. Not thread-safe: one instance per job.
 */
public final class SubModelLearner implements LocalLearner {
  /** The client's current neuron choice: one 0/1 tensor per hidden layer. */
  public static final AttachmentKey NEURONS = new AttachmentKey("submodel.neurons");
  /** Bookkeeping: [rounds taken part in since the last full-model refresh, sum of 1/z^2 over DP releases]. */
  public static final AttachmentKey BOOKKEEPING = new AttachmentKey("submodel.bookkeeping");
  private static final long KEEP_STREAM = 0x4B33;
  private static final long MASK_STREAM = 0x3A5C;
  private static final long DP_STREAM = 0xD9;
  private static final RdpAccountant ACCOUNTANT = new RdpAccountant();

  private final DroppableModel model;
  private final SubModelConfig config;
  private final int client;
  private final ClientState state;
  private ParameterSet current;

  /** A sub-model client of the built-in MLP {@code spec} on {@code data}. */
  public SubModelLearner(ModelSpec spec, Dataset data, ParameterSet initial, SubModelConfig config, int client,
      ClientState state) {
    this(new MlpDroppable(spec, data), initial, config, client, state);
    spec.checkCompatible(initial, data.numFeatures(), data.numClasses());
  }

  /**
   * A sub-model client of {@code model} (see {@link SubModelCapable#learner}): client number {@code client} seeds
   * its capacity and random units, {@code state} keeps its unit choice and DP releases between rounds.
   */
  public SubModelLearner(DroppableModel model, ParameterSet initial, SubModelConfig config, int client,
      ClientState state) {
    this.model = Objects.requireNonNull(model, "model");
    this.config = Objects.requireNonNull(config, "config");
    this.client = client;
    this.state = Objects.requireNonNull(state, "state");
    this.current = Objects.requireNonNull(initial, "initial");
  }

  /** This client's kept fraction of every hidden layer (its capacity), fixed for the run. */
  public double keepFraction() {
    if (config.keepMin() == config.keepMax()) {
      return config.keepMin();
    }
    double u = RandomSource.seeded(config.seed()).derive(KEEP_STREAM, client).nextDouble();
    return config.keepMin() + u * (config.keepMax() - config.keepMin());
  }

  @Override
  public ParameterSet parameters() {
    return current;
  }

  @Override
  public TrainResult fit(ParameterSet global, TrainConfig train) {
    if (train.gradientCorrection() != null) {
      throw new FlException(ErrorCode.FAILED_PRECONDITION,
          "sub-model training cannot apply a full-model gradient correction (SCAFFOLD); use fedavg with sub-models");
    }
    float[] book = state.get(BOOKKEEPING).map(p -> p.get("book").data().clone()).orElse(new float[] {0, 0});
    boolean[][] keep;
    boolean refresh;
    RandomSource rng = RandomSource.seeded(config.seed()).derive(MASK_STREAM, train.round(), client);
    if (!config.policy().dataDependent()) {
      keep = config.policy().choose(model, global, keepFraction(), rng);
      refresh = false;
    } else {
      refresh = state.get(NEURONS).isEmpty() || book[0] >= config.fullModelEvery();
      if (refresh) {
        keep = config.policy().choose(model, global, keepFraction(), rng);
        book[0] = 0;
      } else {
        keep = restore();
      }
      book[0] += 1;
    }
    UnitSubModel mask = model.subModel(keep);
    ParameterSet subGlobal = mask.extract(global);
    TrainResult r = mask.fit(subGlobal, train);
    ParameterSet trained = r.parameters();
    Metrics.Builder m = Metrics.builder().putAll(r.metrics());
    if (config.localDp()) {
      double fraction = (double) mask.keptParameters() / global.size();
      double zEff = config.dpNoise() / Math.sqrt(fraction);
      trained = privatise(subGlobal, trained, train.round(), config.dpClip() * Math.sqrt(fraction), m);
      // replacing the client's data moves the clipped update by up to twice the clip norm: multiplier zEff / 2
      book[1] += (float) (4 / (zEff * zEff));
      m.put("local_epsilon", localEpsilon(book[1], config.dpDelta()));
      m.put("local_noise_multiplier", zEff);
    }
    ParameterSet full = mask.scatter(trained, global);
    long kept = mask.keptParameters();
    long all = global.size();
    long positions = mask.positionBytes();
    m.put(Metrics.WIRE_BYTES_UP, 4 * kept + positions);
    m.put(Metrics.WIRE_BYTES_DOWN, refresh ? 4 * all : 4 * kept + positions);
    m.put("submodel_fraction", (double) kept / all);
    m.put("submodel_refresh", refresh ? 1 : 0);
    state.put(NEURONS, save(keep));
    state.put(BOOKKEEPING, ParameterSet.of(Tensor.of("book", book, 2)));
    current = full;
    return new TrainResult(full, r.numExamples(), r.localSteps(), m.build(),
        r.attachments().with(AttachmentKey.TRAINED_MASK, mask.parameterMask(global)));
  }

  /**
   * Epsilon after Gaussian releases of multipliers z_i, given {@code sumInverseSquares = sum_i 1 / z_i^2}:
   * their RDP is that of one release of multiplier {@code sumInverseSquares^(-1/2)}.
   */
  static double localEpsilon(double sumInverseSquares, double delta) {
    return sumInverseSquares == 0 ? 0 : ACCOUNTANT.epsilon(1, 1 / Math.sqrt(sumInverseSquares), 1, delta);
  }

  /** Clips the sub-model update to {@code clip} and adds the DP noise to every kept coordinate. */
  private ParameterSet privatise(ParameterSet before, ParameterSet after, int round, double clip, Metrics.Builder m) {
    double[] d = Updates.delta(after, before);
    double norm = Updates.clip(d, clip);
    m.put("clipped", norm > clip ? 1 : 0);
    // noise N(0, (z C)^2) per coordinate = multiplier z C / clip on the clipped update
    GaussianNoise.of(clip, config.dpNoise() * config.dpClip() / clip, d.length)
        .addTo(d, GaussianNoise.source(config.seededNoise(), config.seed(), DP_STREAM, round, client));
    return Updates.plus(before, d);
  }

  private static ParameterSet save(boolean[][] keep) {
    List<Tensor> t = new ArrayList<>();
    for (int l = 0; l < keep.length; l++) {
      boolean[] k = keep[l];
      float[] f = new float[k.length];
      for (int i = 0; i < k.length; i++) {
        f[i] = k[i] ? 1 : 0;
      }
      t.add(Tensor.of("hidden" + l, f, f.length));
    }
    return ParameterSet.of(t);
  }

  private boolean[][] restore() {
    ParameterSet p = state.get(NEURONS).orElseThrow();
    boolean[][] k = new boolean[model.widths().length][];
    for (int l = 0; l < k.length; l++) {
      float[] f = p.get("hidden" + l).data();
      k[l] = new boolean[f.length];
      for (int i = 0; i < f.length; i++) {
        k[l][i] = f[i] != 0;
      }
    }
    return k;
  }

  @Override
  public EvalResult evaluate(ParameterSet global) {
    return model.evaluate(global);
  }
}
