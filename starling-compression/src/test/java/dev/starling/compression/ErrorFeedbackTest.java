package dev.starling.compression;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.random.RandomSource;
import org.junit.jupiter.api.Test;

class ErrorFeedbackTest {
  /**
   * Two workers minimise F(w) = mean_i 0.5 ||w - c_i||^2 with c_1 = (100, 1), c_2 = (-100, 1); the
   * optimum is (0, 1). Each sends the top-1 coordinate of its step -lr (w - c_i). From w = 0 both
   * always send the first coordinate (+-100 lr, lr = 0.01), which cancels, so plain top-k never moves: it stalls
   * at distance 1. With error feedback the second coordinate's residual grows until it is sent.
   */
  private static double run(boolean errorFeedback, int rounds) {
    float[][] c = {{100, 1}, {-100, 1}};
    Codec topOne = Codecs.parse("topk:0.5");
    ErrorFeedback[] ef = {new ErrorFeedback(topOne, 2), new ErrorFeedback(topOne, 2)};
    float[] w = new float[2];
    double lr = 0.01;
    for (int t = 0; t < rounds; t++) {
      float[] sum = new float[2];
      for (int i = 0; i < 2; i++) {
        float[] step = {(float) (-lr * (w[0] - c[i][0])), (float) (-lr * (w[1] - c[i][1]))};
        float[] sent = new float[2];
        if (errorFeedback) {
          ef[i].encode(step, RandomSource.seeded(t), sent);
        } else {
          sent = topOne.decode(topOne.encode(step, RandomSource.seeded(t)));
        }
        sum[0] += sent[0] / 2;
        sum[1] += sent[1] / 2;
      }
      w[0] += sum[0];
      w[1] += sum[1];
    }
    return Math.hypot(w[0], w[1] - 1);
  }

  @Test
  void topK_withoutErrorFeedback_stallsWhileErrorFeedbackConverges() {
    assertThat(run(false, 3000)).isEqualTo(1.0);
    assertThat(run(true, 3000)).isLessThan(0.05);
  }

  @Test
  void encode_keepsWhatWasNotSentInTheResidual() {
    Codec top1 = Codecs.parse("topk:0.25");
    ErrorFeedback ef = new ErrorFeedback(top1, 4);
    float[] sent = new float[4];
    ef.encode(new float[] {0.5f, -2f, 0.25f, 1f}, RandomSource.seeded(1), sent);
    assertThat(sent).containsExactly(0f, -2f, 0f, 0f);
    assertThat(ef.residual()).containsExactly(0.5f, 0f, 0.25f, 1f);
    ef.encode(new float[] {0.5f, 0f, 0f, 0f}, RandomSource.seeded(2), sent);
    assertThat(sent).containsExactly(1f, 0f, 0f, 0f); // 0.5 + 0.5 beats the residual 1 at index 3 (tie: lowest index)
    assertThat(ef.residual()).containsExactly(0f, 0f, 0.25f, 1f);
  }

  @Test
  void signCompression_errorFeedbackResidualStaysBounded() {
    Codec sign = Codecs.parse("sign");
    ErrorFeedback ef = new ErrorFeedback(sign, 1000);
    RandomSource rng = RandomSource.seeded(5);
    float[] sent = new float[1000];
    double maxNorm = 0;
    for (int t = 0; t < 200; t++) {
      float[] g = new float[1000];
      for (int i = 0; i < g.length; i++) {
        g[i] = (float) rng.nextGaussian();
      }
      ef.encode(g, rng, sent);
      double n = 0;
      for (float r : ef.residual()) {
        n += r * r;
      }
      maxNorm = Math.max(maxNorm, Math.sqrt(n));
    }
    // a contractive compressor keeps the residual within a constant multiple of one update's norm (~31.6)
    assertThat(maxNorm).isLessThan(5 * Math.sqrt(1000));
  }
}
