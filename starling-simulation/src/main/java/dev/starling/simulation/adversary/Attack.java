package dev.starling.simulation.adversary;

import dev.starling.core.learner.TrainResult;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.data.Dataset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a malicious simulated client does, for robustness research. Model attacks rewrite the update
 * {@code d = w - x} (w the honestly trained model, x the global) before it is sent; data attacks
 * poison the client's labels once. Immutable.
 */
public sealed interface Attack {
  /** The valid spec forms for help texts and errors. */
  String FORMS = "none | sign-flip[:S] | scale:GAMMA | gaussian:SIGMA | label-flip";

  /** Whether the attack poisons the data (then {@link #poison} applies) rather than the update. */
  default boolean poisonsData() {
    return false;
  }

  /** The client's poisoned data; identity for model attacks. */
  default Dataset poison(Dataset data) {
    return data;
  }

  /** The update the attacker sends instead of {@code honest}; identity for data attacks. */
  default TrainResult tamper(ParameterSet global, TrainResult honest, RandomSource rng) {
    return honest;
  }

  /** The spec this attack parses from. */
  String describe();

  /** No attack. */
  record None() implements Attack {
    @Override
    public String describe() {
      return "none";
    }
  }

  /** Sends {@code x - s * d}: the update reversed and scaled (Damaskinos et al. 2018; Li et al. 2019, RSA). */
  record SignFlip(double scale) implements Attack {
    @Override
    public TrainResult tamper(ParameterSet global, TrainResult honest, RandomSource rng) {
      return honest.withParameters(affine(global, honest.parameters(), -scale, null, 0));
    }

    @Override
    public String describe() {
      return scale == 1 ? "sign-flip" : "sign-flip:" + scale;
    }
  }

  /**
   * Model replacement (Bagdasaryan, Veit, Hua, Estrin, Shmatikov, "How To Backdoor Federated
   * Learning", AISTATS 2020): sends {@code x + gamma * d}, so one update outweighs the others.
   */
  record Scale(double gamma) implements Attack {
    @Override
    public TrainResult tamper(ParameterSet global, TrainResult honest, RandomSource rng) {
      return honest.withParameters(affine(global, honest.parameters(), gamma, null, 0));
    }

    @Override
    public String describe() {
      return "scale:" + gamma;
    }
  }

  /** Sends {@code x + N(0, sigma^2 I)}, ignoring its data (the Gaussian attack of Blanchard et al. 2017). */
  record GaussianNoise(double sigma) implements Attack {
    @Override
    public TrainResult tamper(ParameterSet global, TrainResult honest, RandomSource rng) {
      return honest.withParameters(affine(global, honest.parameters(), 0, rng, sigma));
    }

    @Override
    public String describe() {
      return "gaussian:" + sigma;
    }
  }

  /** Label flipping (Biggio et al. 2012; Fang et al. 2020): label y becomes K - 1 - y on the client. */
  record LabelFlip() implements Attack {
    @Override
    public boolean poisonsData() {
      return true;
    }

    @Override
    public Dataset poison(Dataset data) {
      int[] y = data.labels();
      int[] flipped = new int[y.length];
      int k = data.numClasses();
      for (int i = 0; i < y.length; i++) {
        flipped[i] = k - 1 - y[i];
      }
      return data.withLabels(flipped);
    }

    @Override
    public String describe() {
      return "label-flip";
    }
  }

  /** Parses {@link #FORMS}. */
  static Attack parse(String spec) {
    String s = spec.trim().toLowerCase(Locale.ROOT);
    try {
      if (s.equals("none")) {
        return new None();
      }
      if (s.equals("sign-flip")) {
        return new SignFlip(1);
      }
      if (s.startsWith("sign-flip:")) {
        return new SignFlip(positive(s.substring(10), spec));
      }
      if (s.startsWith("scale:")) {
        return new Scale(positive(s.substring(6), spec));
      }
      if (s.startsWith("gaussian:")) {
        return new GaussianNoise(positive(s.substring(9), spec));
      }
      if (s.equals("label-flip")) {
        return new LabelFlip();
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("attack must be one of " + FORMS + ". Provided value: " + spec, e);
    }
    throw new IllegalArgumentException("attack must be one of " + FORMS + ". Provided value: " + spec);
  }

  private static double positive(String v, String spec) {
    double d = Double.parseDouble(v);
    if (!(d > 0) || !Double.isFinite(d)) {
      throw new IllegalArgumentException("attack parameter must be > 0 and finite. Provided value: " + spec);
    }
    return d;
  }

  /** {@code x + a * (w - x) + noise}, noise ~ N(0, sigma^2) per coordinate when rng is given. */
  private static ParameterSet affine(ParameterSet x, ParameterSet w, double a, RandomSource rng, double sigma) {
    List<Tensor> out = new ArrayList<>(x.count());
    for (int t = 0; t < x.count(); t++) {
      float[] xs = x.tensors().get(t).data();
      float[] ws = w.tensors().get(t).data();
      float[] r = new float[xs.length];
      for (int i = 0; i < r.length; i++) {
        double v = xs[i] + a * (ws[i] - xs[i]);
        if (rng != null) {
          v += sigma * rng.nextGaussian();
        }
        r[i] = (float) v;
      }
      Tensor spec = x.tensors().get(t);
      out.add(Tensor.of(spec.name(), r, spec.shape()));
    }
    return ParameterSet.of(out);
  }
}
