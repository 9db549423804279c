package dev.starling.compression.sparsify;

import dev.starling.core.random.RandomSource;

/**
 * Random-k sparsification (Stich et al. 2018): keeps k = {@code ceil(fraction n)} coordinates chosen
 * uniformly without replacement from the given {@link RandomSource} (Knuth's selection sampling,
 * Algorithm S: one pass, positions come out sorted). Values are sent unscaled, so the code is biased
 * towards zero by {@code k / n}; pair it with error feedback, which sends the rest later. Immutable.
 */
public final class RandomK extends FractionSparsifier {
  public RandomK(double fraction) {
    super("randk", fraction);
  }

  @Override
  public int[] select(float[] x, RandomSource rng) {
    int n = x.length;
    int k = count(n);
    int[] out = new int[k];
    int chosen = 0;
    for (int i = 0; i < n && chosen < k; i++) {
      // take i with probability (still needed) / (still available)
      if ((n - i) * rng.nextDouble() < k - chosen) {
        out[chosen++] = i;
      }
    }
    return out;
  }
}
