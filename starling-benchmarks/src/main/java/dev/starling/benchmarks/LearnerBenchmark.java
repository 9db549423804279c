package dev.starling.benchmarks;

import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.data.IdxLoader;
import dev.starling.learners.ModelSpec;
import dev.starling.learners.SgdLearner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * Local training throughput on one thread, in samples per second: one {@link SgdLearner#fit} of one
 * epoch over {@value #ROWS} MNIST rows (784 features scaled to [0, 1], 10 classes) from
 * {@code -Dstarling.mnist=DIR} (default {@code testdata/mnist-10k}, the repository's copy, run from the root). Real images matter: the
 * kernels skip zero inputs, and about 80% of MNIST pixels are zero. Falls back to a synthetic set with the
 * same shape and sparsity if the directory is missing (the output says which).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LearnerBenchmark {
  static final int ROWS = 1280;

  @Param({"mlp:200x200", "logreg"})
  public String model;

  @Param({"10", "64"})
  public int batch;

  private SgdLearner learner;
  private ParameterSet global;
  private TrainConfig config;

  @Setup
  public void setUp() throws IOException {
    Dataset data = mnist();
    ModelSpec spec = ModelSpec.parse(model.replace('x', ','));
    global = spec.initialize(data.numFeatures(), data.numClasses(), RandomSource.seeded(1));
    learner = new SgdLearner(spec, data, global);
    config = TrainConfig.builder().localEpochs(1).batchSize(batch).learningRate(0.05).build();
  }

  @Benchmark
  @OperationsPerInvocation(ROWS)
  public TrainResult fitOneEpoch() {
    return learner.fit(global, config);
  }

  static Dataset mnist() throws IOException {
    Path dir = Path.of(System.getProperty("starling.mnist", "testdata/mnist-10k"));
    Path images = dir.resolve("mnist-train8k-images-idx3-ubyte.gz");
    Path labels = dir.resolve("mnist-train8k-labels-idx1-ubyte.gz");
    if (Files.exists(images) && Files.exists(labels)) {
      Dataset all = IdxLoader.load(images, labels);
      int[] rows = new int[ROWS];
      for (int i = 0; i < ROWS; i++) {
        rows[i] = i;
      }
      System.out.println("LearnerBenchmark: " + ROWS + " rows of " + all);
      return all.subset(rows);
    }
    System.out.println("LearnerBenchmark: " + dir + " not found; synthetic 784-feature rows, 80% zeros");
    RandomSource r = RandomSource.seeded(3);
    float[] x = new float[ROWS * 784];
    int[] y = new int[ROWS];
    for (int i = 0; i < ROWS; i++) {
      y[i] = r.nextInt(10);
      for (int j = 0; j < 784; j++) {
        x[i * 784 + j] = r.nextDouble() < 0.2 ? r.nextFloat() : 0f;
      }
    }
    return Dataset.builder().name("synthetic-mnist-shape").features(x).labels(y).numFeatures(784).numClasses(10).build();
  }
}
