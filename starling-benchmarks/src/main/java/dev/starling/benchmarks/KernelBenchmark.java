package dev.starling.benchmarks;

import dev.starling.strategy.kernel.Distances;
import dev.starling.strategy.kernel.OrderStatistics;
import dev.starling.strategy.kernel.Rows;
import dev.starling.strategy.kernel.WeightedFold;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Each fast aggregation kernel beside its readable scalar reference on the same input (n rows of d
 * random floats), so the speed-up is measured in one run. Sizes are smaller than the strategy benchmark
 * because the references are slow.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class KernelBenchmark {
  @Param({"50"})
  public int n;

  @Param({"100000"})
  public int d;

  private float[][] rows;
  private Rows view;
  private float[] weights;
  private float[] center;

  @Setup
  public void setUp() {
    SplittableRandom r = new SplittableRandom(7);
    rows = new float[n][d];
    for (float[] row : rows) {
      for (int j = 0; j < d; j++) {
        row[j] = (float) r.nextGaussian();
      }
    }
    view = Rows.of(rows);
    weights = new float[n];
    java.util.Arrays.fill(weights, 0.5f);
    center = new float[d];
  }

  @Benchmark
  public float[] foldFast() {
    float[] sum = new float[d];
    for (int k = 0; k < n; k += 4) {
      int c = Math.min(4, n - k);
      WeightedFold.fold(sum, java.util.Arrays.copyOfRange(rows, k, k + c), weights, c);
    }
    return sum;
  }

  @Benchmark
  public float[] foldReference() {
    float[] sum = new float[d];
    WeightedFold.reference(sum, rows, weights, n);
    return sum;
  }

  @Benchmark
  public float[] medianFast() {
    return OrderStatistics.median(view, new int[n]);
  }

  @Benchmark
  public float[] medianReference() {
    return OrderStatistics.reference(rows, (n - 1) / 2, n / 2, true, new int[n]);
  }

  @Benchmark
  public float[] trimmedMeanFast() {
    return OrderStatistics.trimmedMean(view, n / 10, new int[n]);
  }

  @Benchmark
  public float[] trimmedMeanReference() {
    return OrderStatistics.reference(rows, n / 10, n - 1 - n / 10, false, new int[n]);
  }

  @Benchmark
  public double[][] distancesFast() {
    return Distances.squared(view, center);
  }

  @Benchmark
  public double[][] distancesReference() {
    return Distances.reference(rows);
  }
}
