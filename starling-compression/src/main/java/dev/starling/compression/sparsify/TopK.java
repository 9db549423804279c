package dev.starling.compression.sparsify;

import dev.starling.core.random.RandomSource;

/**
 * Top-k sparsification (Aji and Heafield 2017; Stich et al., "Sparsified SGD with Memory", 2018): keeps
 * the k = {@code ceil(fraction n)} coordinates of largest magnitude; among equal magnitudes at the cut,
 * the lowest positions win, so the choice is deterministic. O(n) expected time: a quickselect finds
 * the k-th largest magnitude, one pass collects the positions. With error feedback the dropped mass is
 * sent in later rounds. Immutable.
 */
public final class TopK extends FractionSparsifier {
  public TopK(double fraction) {
    super("topk", fraction);
  }

  @Override
  public int[] select(float[] x, RandomSource rng) {
    int n = x.length;
    int k = count(n);
    int[] out = new int[k];
    if (k == n) {
      for (int i = 0; i < n; i++) {
        out[i] = i;
      }
      return out;
    }
    float[] mag = new float[n];
    for (int i = 0; i < n; i++) {
      mag[i] = Math.abs(x[i]);
    }
    float threshold = kthLargest(mag, k);
    int above = 0;
    for (int i = 0; i < n; i++) {
      if (Math.abs(x[i]) > threshold) {
        above++;
      }
    }
    int ties = k - above; // how many coordinates equal to the threshold we still take, lowest first
    int j = 0;
    for (int i = 0; i < n && j < k; i++) {
      float a = Math.abs(x[i]);
      if (a > threshold) {
        out[j++] = i;
      } else if (a == threshold && ties > 0) {
        out[j++] = i;
        ties--;
      }
    }
    return out;
  }

  /** The k-th largest value of {@code a} (1-based), reordering {@code a}. Hoare quickselect, median-of-3 pivots. */
  static float kthLargest(float[] a, int k) {
    int target = a.length - k; // index in ascending order
    int lo = 0;
    int hi = a.length - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      float p = median3(a[lo], a[mid], a[hi]);
      int i = lo;
      int j = hi;
      while (i <= j) {
        while (a[i] < p) {
          i++;
        }
        while (a[j] > p) {
          j--;
        }
        if (i <= j) {
          float t = a[i];
          a[i] = a[j];
          a[j] = t;
          i++;
          j--;
        }
      }
      if (target <= j) {
        hi = j;
      } else if (target >= i) {
        lo = i;
      } else {
        return a[target];
      }
    }
    return a[target];
  }

  private static float median3(float a, float b, float c) {
    return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
  }
}
