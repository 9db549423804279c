package dev.starling.privacy.accounting;

/**
 * An in-place iterative radix-2 complex FFT whose twiddle factors all come from one table of
 * {@code cos}/{@code sin} values computed directly (not by the usual recurrence): the accountant raises
 * the transform to the power T (up to millions of steps), which multiplies any relative error in it by
 * T, so twiddle error that grows with n, as in recurrence-based implementations (Commons Math's grows to
 * about 1e-10 at 2^21 points), would swamp deltas of 1e-6. Here the error stays near
 * {@code log2(n) * 1e-16}. Not thread-safe per instance.
 */
final class Fft {
  private final int n;
  private final double[] cos;
  private final double[] sin;
  private final int[] bitReverse;

  Fft(int n) {
    if (n < 2 || Integer.bitCount(n) != 1) {
      throw new IllegalArgumentException("FFT size must be a power of two >= 2. Provided value: " + n);
    }
    this.n = n;
    cos = new double[n / 2];
    sin = new double[n / 2];
    for (int k = 0; k < n / 2; k++) {
      double a = 2 * Math.PI * k / n;
      cos[k] = Math.cos(a);
      sin[k] = Math.sin(a);
    }
    bitReverse = new int[n];
    int bits = Integer.numberOfTrailingZeros(n);
    for (int i = 0; i < n; i++) {
      bitReverse[i] = Integer.reverse(i) >>> (32 - bits);
    }
  }

  /** Forward transform {@code X_k = sum_j x_j e^{-2 pi i jk/n}} in place. */
  void forward(double[] re, double[] im) {
    transform(re, im, -1);
  }

  /** Inverse transform, divided by n, in place. */
  void inverse(double[] re, double[] im) {
    transform(re, im, +1);
    double inv = 1.0 / n;
    for (int i = 0; i < n; i++) {
      re[i] *= inv;
      im[i] *= inv;
    }
  }

  private void transform(double[] re, double[] im, int sign) {
    for (int i = 0; i < n; i++) {
      int j = bitReverse[i];
      if (j > i) {
        double t = re[i];
        re[i] = re[j];
        re[j] = t;
        t = im[i];
        im[i] = im[j];
        im[j] = t;
      }
    }
    for (int len = 2; len <= n; len <<= 1) {
      int half = len >>> 1;
      int step = n / len;
      for (int start = 0; start < n; start += len) {
        for (int k = 0; k < half; k++) {
          double wr = cos[k * step];
          double wi = sign * sin[k * step];
          int a = start + k;
          int b = a + half;
          double xr = re[b] * wr - im[b] * wi;
          double xi = re[b] * wi + im[b] * wr;
          re[b] = re[a] - xr;
          im[b] = im[a] - xi;
          re[a] += xr;
          im[a] += xi;
        }
      }
    }
  }
}
