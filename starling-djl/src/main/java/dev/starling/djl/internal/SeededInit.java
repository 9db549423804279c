package dev.starling.djl.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import dev.starling.core.random.RandomSource;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * Initialises parameters from Starling's {@link RandomSource} rather than the engine's global generator, so a
 * seed fixes the initial model regardless of which engine or thread builds it: weights of rank 2 or more Glorot
 * (Xavier) uniform (Glorot and Bengio, AISTATS 2010), layer-norm scales 1, biases and shifts 0. Parameter k
 * draws from {@code seeded(seed).derive(k)}, so adding a layer does not change the others' streams.
 */
public final class SeededInit {
  private SeededInit() {}

  public static void apply(List<Parameter> parameters, long seed) {
    RandomSource root = RandomSource.seeded(seed);
    for (int k = 0; k < parameters.size(); k++) {
      Parameter p = parameters.get(k);
      NDArray a = p.getArray();
      long[] shape = a.getShape().getShape();
      float[] v = new float[Math.toIntExact(a.size())];
      if (shape.length >= 2) {
        long receptive = 1;
        for (int i = 2; i < shape.length; i++) {
          receptive *= shape[i];
        }
        double fanOut = shape[0] * receptive;
        double fanIn = shape[1] * receptive;
        float bound = (float) Math.sqrt(6.0 / (fanIn + fanOut));
        RandomSource r = root.derive(k);
        for (int i = 0; i < v.length; i++) {
          v[i] = (2f * r.nextFloat() - 1f) * bound;
        }
      } else if (p.getType() == Parameter.Type.GAMMA) {
        java.util.Arrays.fill(v, 1f);
      }
      a.set(FloatBuffer.wrap(v));
    }
  }
}
