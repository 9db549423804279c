package dev.starling.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import org.junit.jupiter.api.Test;

class ParameterSetTest {
  private static ParameterSet two() {
    return ParameterSet.of(Tensor.of("w", new float[] {1, 2, 3, 4, 5, 6}, 2, 3), Tensor.of("b", new float[] {7, 8, 9}, 3));
  }

  @Test
  void flatten_concatenatesInOrder() {
    assertThat(two().flatten()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9);
    assertThat(two().size()).isEqualTo(9);
    assertThat(two().sizeBytes()).isEqualTo(36);
  }

  @Test
  void copy_isDeep() {
    ParameterSet a = two();
    ParameterSet b = a.copy();
    b.get("w").data()[0] = 100;
    assertThat(a.get("w").data()[0]).isEqualTo(1);
    assertThat(b).isNotEqualTo(a);
    assertThat(a.copy()).isEqualTo(a);
  }

  @Test
  void tensor_shapeMismatch_rejectedWithSizes() {
    assertThatThrownBy(() -> Tensor.of("w", new float[5], 2, 3))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("data length of w").hasMessageContaining("6");
  }

  @Test
  void of_duplicateNames_rejected() {
    assertThatThrownBy(() -> ParameterSet.of(Tensor.of("w", new float[1], 1), Tensor.of("w", new float[2], 2)))
        .hasMessageContaining("duplicate 'w'");
  }

  @Test
  void checkSameSpec_wrongShape_namesTensorAndWhat() {
    ParameterSet other = ParameterSet.of(Tensor.of("w", new float[6], 3, 2), Tensor.of("b", new float[3], 3));
    assertThat(two().sameSpec(other)).isFalse();
    assertThatThrownBy(() -> two().checkSameSpec(other, "update of client c1"))
        .isInstanceOf(FlException.class).hasMessageContaining("update of client c1").hasMessageContaining("w[3, 2]")
        .extracting(e -> ((FlException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
  }

  @Test
  void get_missing_notFound() {
    assertThatThrownBy(() -> two().get("x")).isInstanceOf(FlException.class).hasMessageContaining("'x'");
  }

  @Test
  void firstNonFinite_findsGlobalIndex() {
    ParameterSet p = two().copy();
    assertThat(p.firstNonFinite()).isEqualTo(-1);
    p.get("b").data()[1] = Float.POSITIVE_INFINITY;
    assertThat(p.firstNonFinite()).isEqualTo(7);
  }

  @Test
  void maxAbs_largestMagnitudeInfinityOrNaN() {
    assertThat(ParameterSet.of(Tensor.of("w", new float[] {1, -3e38f, 2}, 3), Tensor.of("b", new float[] {-0f}, 1)).maxAbs())
        .isEqualTo(3e38f);
    assertThat(ParameterSet.of(Tensor.of("w", new float[] {Float.MAX_VALUE, Float.NEGATIVE_INFINITY}, 2)).maxAbs())
        .isEqualTo(Float.POSITIVE_INFINITY);
    // NaN wins over an infinity in a later tensor, so "finite" is exactly maxAbs() <= MAX_VALUE
    assertThat(ParameterSet.of(Tensor.of("a", new float[] {Float.NaN, 1}, 2),
        Tensor.of("b", new float[] {Float.POSITIVE_INFINITY}, 1)).maxAbs()).isNaN();
    assertThat(ParameterSet.of(Tensor.of("a", new float[] {-Float.MIN_VALUE}, 1)).maxAbs()).isEqualTo(Float.MIN_VALUE);
    assertThat(ParameterSet.of().maxAbs()).isZero();
  }

  @Test
  void maxAbsKernel_agreesWithAScalarLoopOnEveryPositionOnceCompiled() {
    // many calls on arrays longer than any vector, so the JIT's vectorised form is what the later calls run
    java.util.Random r = new java.util.Random(7);
    float[] d = new float[1031];
    for (int i = 0; i < d.length; i++) {
      d[i] = (float) r.nextGaussian();
    }
    float max = 0;
    for (float v : d) {
      max = Math.max(max, Math.abs(v));
    }
    float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -Float.MAX_VALUE};
    for (int k = 0; k < 4000; k++) {
      int at = (k * 37) % d.length;
      float special = specials[k % specials.length];
      float[] e = d.clone();
      e[at] = special;
      float got = Tensor.maxAbs(e, 0, e.length);
      float want = Float.isNaN(special) ? Float.NaN : Math.max(max, Math.abs(special));
      assertThat(Float.valueOf(got)).as("bad value %s at %d", special, at).isEqualTo(Float.valueOf(want));
      assertThat(Tensor.maxAbs(e, at + 1, e.length)).as("range after %d", at).isLessThanOrEqualTo(max);
    }
    assertThat(Tensor.maxAbs(d, 3, 3)).isZero();
    assertThatThrownBy(() -> Tensor.maxAbs(d, 2, d.length + 1)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void ofMeasured_keepsTheGivenMaxAbsAndRefusesANegativeOne() {
    Tensor t = Tensor.ofMeasured("w", new float[] {1, -2, Float.NaN}, Float.NaN, 3);
    assertThat(t.maxAbs()).isNaN();
    assertThat(ParameterSet.of(t).maxAbs()).isNaN();
    assertThat(Tensor.ofMeasured("w", new float[] {1, -2}, 2f, 2).maxAbs()).isEqualTo(2f);
    assertThatThrownBy(() -> Tensor.ofMeasured("w", new float[] {1}, -1f, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxAbs of w");
  }
}
