package dev.starling.benchmarks;

import dev.starling.compression.CodecChain;
import dev.starling.compression.Codecs;
import dev.starling.core.random.RandomSource;
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
 * Encode and decode time of each update codec on one million float32 values shaped like an update
 * (Gaussian, sigma 0.01). Throughput in MB/s of float32 data = 4 / (ms per op) * 1000.
 * {@code java -jar starling-benchmarks/target/benchmarks.jar CodecBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class CodecBenchmark {
  @Param({"fp16", "bf16", "int8", "int4", "sign", "topk:0.01", "randk:0.01", "int8+zstd"})
  public String codec;

  @Param({"1000000"})
  public int n;

  private CodecChain chain;
  private float[] x;
  private byte[] encoded;

  @Setup
  public void setUp() {
    chain = Codecs.parse(codec);
    RandomSource rng = RandomSource.seeded(7);
    x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (0.01 * rng.nextGaussian());
    }
    encoded = chain.encode(x, RandomSource.seeded(1));
  }

  @Benchmark
  public byte[] encode() {
    return chain.encode(x, RandomSource.seeded(1));
  }

  @Benchmark
  public float[] decode() {
    return chain.decode(encoded);
  }
}
