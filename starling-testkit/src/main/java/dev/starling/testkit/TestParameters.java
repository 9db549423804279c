package dev.starling.testkit;

import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;

/** Small parameter sets for tests, filled from a seeded source. */
public final class TestParameters {
  private TestParameters() {}

  /** A two-tensor set ("w" [rows, cols], "b" [cols]) with Gaussian values from {@code seed}. */
  public static ParameterSet random(int rows, int cols, long seed) {
    RandomSource rng = RandomSource.seeded(seed);
    float[] w = new float[rows * cols];
    float[] b = new float[cols];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) rng.nextGaussian();
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) rng.nextGaussian();
    }
    return ParameterSet.of(Tensor.of("w", w, rows, cols), Tensor.of("b", b, cols));
  }

  /** A set shaped like {@code like} with every value equal to {@code value}. */
  public static ParameterSet constant(ParameterSet like, float value) {
    return like.map(t -> {
      Tensor z = t.zerosLike();
      java.util.Arrays.fill(z.data(), value);
      return z;
    });
  }
}
