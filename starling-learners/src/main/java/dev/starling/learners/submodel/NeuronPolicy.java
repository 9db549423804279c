package dev.starling.learners.submodel;

import dev.starling.core.error.Checks;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.learners.ModelSpec;
import java.util.Locale;

/**
 * How a client chooses its sub-model's neurons, given the fraction {@code keep} of every hidden layer it
 * can afford (at least one unit per layer). Immutable.
 */
public sealed interface NeuronPolicy {
  /** The valid spec forms. */
  String FORMS = "federated-dropout | fisher[:ROWS]";

  /** Whether the choice needs the full model and the client's data (then it is refreshed every K rounds). */
  boolean dataDependent();

  /**
   * The units {@code model} keeps, per droppable layer, at fraction {@code keep} of each layer; {@code global} is the
   * full model (read by data-dependent policies), {@code rng} the stream of this (seed, round, client).
   */
  boolean[][] choose(DroppableModel model, ParameterSet global, double keep, RandomSource rng);

  /** {@link #choose} for the built-in MLP {@code spec} on {@code data}, as a {@link NeuronMask}. */
  default NeuronMask select(ModelSpec spec, ParameterSet global, Dataset data, double keep, RandomSource rng) {
    MlpDroppable model = new MlpDroppable(spec, data);
    return model.mask(choose(model, global, keep, rng));
  }

  String describe();

  /** Parses {@code federated-dropout} or {@code fisher[:ROWS]}. */
  static NeuronPolicy parse(String spec) {
    String s = spec.trim().toLowerCase(Locale.ROOT);
    if (s.equals("federated-dropout") || s.equals("random")) {
      return new FederatedDropout();
    }
    if (s.equals("fisher")) {
      return new Fisher(512);
    }
    if (s.startsWith("fisher:")) {
      try {
        return new Fisher(Integer.parseInt(s.substring("fisher:".length())));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("neuron policy 'fisher:ROWS' needs an integer ROWS; forms: " + FORMS, e);
      }
    }
    throw new IllegalArgumentException("neuron policy must be one of " + FORMS + ". Provided value: " + spec);
  }

  /** Units to keep of a layer of {@code width}: {@code max(1, round(keep width))}. */
  static int keptUnits(int width, double keep) {
    Checks.checkArgument(keep > 0 && keep <= 1, "keep", "in (0, 1]", keep);
    return (int) Math.max(1, Math.min(width, Math.round(keep * width)));
  }

  /** Federated Dropout (Caldas et al. 2018): a uniformly random subset of each hidden layer. */
  record FederatedDropout() implements NeuronPolicy {
    @Override
    public boolean dataDependent() {
      return false;
    }

    @Override
    public boolean[][] choose(DroppableModel model, ParameterSet global, double keep, RandomSource rng) {
      int[] widths = model.widths();
      boolean[][] k = new boolean[widths.length][];
      for (int l = 0; l < k.length; l++) {
        k[l] = new boolean[widths[l]];
        int[] perm = rng.derive(l).permutation(widths[l]);
        for (int i = 0; i < keptUnits(widths[l], keep); i++) {
          k[l][perm[i]] = true;
        }
      }
      return k;
    }

    @Override
    public String describe() {
      return "federated-dropout";
    }
  }

  /**
   * FisherDropout: keeps the units with the highest {@link FisherScores} on the client's own data (at
   * most {@code rows} examples), ties to the lower index.
   */
  record Fisher(int rows) implements NeuronPolicy {
    public Fisher {
      Checks.checkPositive(rows, "rows");
    }

    @Override
    public boolean dataDependent() {
      return true;
    }

    @Override
    public boolean[][] choose(DroppableModel model, ParameterSet global, double keep, RandomSource rng) {
      double[][] scores = model.fisherScores(global, rows, rng);
      boolean[][] k = new boolean[scores.length][];
      for (int l = 0; l < k.length; l++) {
        double[] s = scores[l];
        Integer[] idx = new Integer[s.length];
        for (int i = 0; i < s.length; i++) {
          idx[i] = i;
        }
        java.util.Arrays.sort(idx, (a, b) -> {
          int c = Double.compare(s[b], s[a]);
          return c != 0 ? c : Integer.compare(a, b);
        });
        k[l] = new boolean[s.length];
        for (int i = 0; i < keptUnits(s.length, keep); i++) {
          k[l][idx[i]] = true;
        }
      }
      return k;
    }

    @Override
    public String describe() {
      return rows == 512 ? "fisher" : "fisher:" + rows;
    }
  }
}
