package dev.starling.benchmarks;

import dev.starling.core.random.RandomSource;
import dev.starling.data.Dataset;
import dev.starling.learners.ModelSpec;
import dev.starling.learners.internal.DenseParams;
import dev.starling.learners.internal.Network;
import dev.starling.learners.internal.Sgd;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Where local training time goes, for the MLP 784-200-200-10 on MNIST rows: the forward pass alone,
 * forward + backward with the gradient accumulated into a buffer, and the full SGD step (backward
 * feeding the in-place update). Differences between the three give forward / backward / update shares.
 * Scores are samples per second on one thread; each invocation runs all {@value LearnerBenchmark#ROWS}
 * rows in batches.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class NetworkBenchmark {
  @Param({"10", "64"})
  public int batch;

  private Network network;
  private DenseParams params;
  private DenseParams gradient;
  private Sgd sgd;
  private float[] x;
  private int[] y;

  @Setup
  public void setUp() throws IOException {
    Dataset data = LearnerBenchmark.mnist();
    int[] sizes = {784, 200, 200, 10};
    ModelSpec spec = ModelSpec.mlp(200, 200);
    params = DenseParams.copyOf(spec, sizes, spec.initialize(784, 10, RandomSource.seeded(1)));
    gradient = DenseParams.zeros(sizes);
    network = new Network(sizes, batch);
    sgd = new Sgd(0.001, 0, 0, 0, params, null, null);
    x = data.features();
    y = data.labels();
  }

  private void fill(int start, int n) {
    float[][] rows = network.inputRows();
    for (int r = 0; r < n; r++) {
      System.arraycopy(x, (start + r) * 784, rows[r], 0, 784);
    }
  }

  private int[] labels(int start, int n) {
    int[] out = new int[n];
    System.arraycopy(y, start, out, 0, n);
    return out;
  }

  @Benchmark
  @OperationsPerInvocation(LearnerBenchmark.ROWS)
  public float forward() {
    float s = 0;
    for (int start = 0; start + batch <= LearnerBenchmark.ROWS; start += batch) {
      fill(start, batch);
      network.forward(params, batch);
      s += network.logitRows()[0][0];
    }
    return s;
  }

  @Benchmark
  @OperationsPerInvocation(LearnerBenchmark.ROWS)
  public double forwardBackward() {
    double loss = 0;
    for (int start = 0; start + batch <= LearnerBenchmark.ROWS; start += batch) {
      fill(start, batch);
      loss += network.forwardBackward(params, labels(start, batch), batch, gradient);
    }
    return loss;
  }

  @Benchmark
  @OperationsPerInvocation(LearnerBenchmark.ROWS)
  public double sgdStep() {
    double loss = 0;
    for (int start = 0; start + batch <= LearnerBenchmark.ROWS; start += batch) {
      fill(start, batch);
      loss += network.backprop(params, labels(start, batch), batch, sgd);
    }
    return loss;
  }
}
