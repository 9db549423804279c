package dev.starling.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.random.RandomSource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class SyntheticFedProxTest {
  private static final int F = SyntheticFedProx.NUM_FEATURES;

  private static LoadedData gen(double alpha, double beta, long seed) {
    return SyntheticFedProx.generate(alpha, beta, SyntheticFedProx.DEFAULT_DEVICES, RandomSource.seeded(seed));
  }

  /** Per device key: the rows of train then test, as (dataset, row) pairs. */
  private record Row(Dataset d, int row) {}

  private static Map<String, List<Row>> byDevice(LoadedData data) {
    Map<String, List<Row>> m = new TreeMap<>();
    for (Dataset d : List.of(data.train(), data.test())) {
      String[] keys = d.keys().orElseThrow();
      for (int i = 0; i < d.size(); i++) {
        m.computeIfAbsent(keys[i], k -> new ArrayList<>()).add(new Row(d, i));
      }
    }
    return m;
  }

  /** Mean over devices of the total-variation distance between the device's and the global label distribution. */
  private static double meanLabelTv(LoadedData data) {
    Map<String, List<Row>> dev = byDevice(data);
    double[] global = new double[10];
    int n = 0;
    for (List<Row> rows : dev.values()) {
      for (Row r : rows) {
        global[r.d().label(r.row())]++;
        n++;
      }
    }
    double sum = 0;
    for (List<Row> rows : dev.values()) {
      double[] p = new double[10];
      for (Row r : rows) {
        p[r.d().label(r.row())]++;
      }
      double tv = 0;
      for (int c = 0; c < 10; c++) {
        tv += Math.abs(p[c] / rows.size() - global[c] / n);
      }
      sum += tv / 2;
    }
    return sum / dev.size();
  }

  @Test
  void generate_sameSeed_identicalFeaturesLabelsAndKeys() {
    LoadedData a = gen(1, 1, 7);
    LoadedData b = gen(1, 1, 7);

    assertThat(a.train().features()).isEqualTo(b.train().features());
    assertThat(a.train().labels()).isEqualTo(b.train().labels());
    assertThat(a.train().keys().orElseThrow()).isEqualTo(b.train().keys().orElseThrow());
    assertThat(a.test().features()).isEqualTo(b.test().features());
    assertThat(a.test().labels()).isEqualTo(b.test().labels());
    assertThat(a.description()).isEqualTo(b.description());
  }

  @Test
  void generate_differentSeed_differentData() {
    LoadedData a = gen(1, 1, 7);
    LoadedData c = gen(1, 1, 8);

    assertThat(Arrays.equals(a.train().features(), c.train().features())).isFalse();
    assertThat(Arrays.equals(a.train().labels(), c.train().labels())).isFalse();
  }

  @Test
  void generate_fewerDevices_firstDevicesUnchanged() {
    LoadedData all = gen(0.5, 0.5, 3);
    LoadedData five = SyntheticFedProx.generate(0.5, 0.5, 5, RandomSource.seeded(3));

    int rows = five.train().size();
    assertThat(Arrays.copyOf(all.train().features(), rows * F)).isEqualTo(five.train().features());
    assertThat(Arrays.copyOf(all.train().labels(), rows)).isEqualTo(five.train().labels());
  }

  @Test
  void generate_default_hasPaperShapesAndThirtySortedDeviceKeys() {
    LoadedData data = gen(1, 1, 42);

    for (Dataset d : List.of(data.train(), data.test())) {
      assertThat(d.numFeatures()).isEqualTo(60);
      assertThat(d.numClasses()).isEqualTo(10);
      assertThat(d.keyName()).contains("device");
      String[] keys = d.keys().orElseThrow();
      assertThat(new TreeSet<>(List.of(keys))).hasSize(30).first().isEqualTo("device00");
      assertThat(new TreeSet<>(List.of(keys))).last().isEqualTo("device29");
      String[] sorted = keys.clone();
      Arrays.sort(sorted);
      assertThat(keys).as("rows are grouped by device in device order").containsExactly(sorted);
    }
    int total = data.train().size() + data.test().size();
    assertThat(data.description())
        .startsWith("synthetic(1.0,1.0): 30 devices, " + total + " rows, 60 features, 10 classes (Li et al. 2020)")
        .contains(data.train().size() + " train / " + data.test().size() + " test");
  }

  @Test
  void generate_moreThanHundredDevices_padsKeysToSort() {
    assertThat(SyntheticFedProx.key(5, 30)).isEqualTo("device05");
    assertThat(SyntheticFedProx.key(5, 101)).isEqualTo("device005");
    assertThat(SyntheticFedProx.key(100, 101)).isEqualTo("device100");
  }

  @Test
  void generate_perDeviceCounts_atLeastFiftyHeavyTailedAndSplitNinetyTen() {
    RandomSource rng = RandomSource.seeded(42);
    LoadedData data = SyntheticFedProx.generate(1, 1, 30, rng);
    Map<String, List<Row>> dev = byDevice(data);
    int[] counts = new int[30];

    for (int k = 0; k < 30; k++) {
      List<Row> rows = dev.get(SyntheticFedProx.key(k, 30));
      counts[k] = rows.size();
      assertThat(counts[k]).isEqualTo(SyntheticFedProx.deviceModel(1, 1, k, rng).samples())
          .isGreaterThanOrEqualTo(SyntheticFedProx.MIN_SAMPLES);
      long train = rows.stream().filter(r -> r.d() == data.train()).count();
      assertThat(train).isEqualTo((long) Math.floor(0.9 * counts[k]));
    }
    int[] sorted = counts.clone();
    Arrays.sort(sorted);
    int median = sorted[15];
    assertThat(sorted[29]).as("largest device vs median %d", median).isGreaterThan(5 * median);
    double mean = Arrays.stream(counts).average().orElseThrow();
    assertThat(mean).as("mean above median: right-skewed").isGreaterThan(1.5 * median);
  }

  @Test
  void generate_labels_equalArgmaxOfDeviceLinearModel() {
    RandomSource rng = RandomSource.seeded(11);
    LoadedData data = SyntheticFedProx.generate(0.5, 0.5, 30, rng);
    Map<String, List<Row>> dev = byDevice(data);

    int checked = 0;
    for (int k = 0; k < 30; k++) {
      SyntheticFedProx.DeviceModel m = SyntheticFedProx.deviceModel(0.5, 0.5, k, rng);
      assertThat(m.w().length).isEqualTo(10);
      assertThat(m.w()[0].length).isEqualTo(60);
      assertThat(m.b().length).isEqualTo(10);
      for (Row r : dev.get(SyntheticFedProx.key(k, 30))) {
        double[] z = new double[10];
        for (int c = 0; c < 10; c++) {
          z[c] = m.b()[c];
          for (int j = 0; j < F; j++) {
            z[c] += m.w()[c][j] * r.d().feature(r.row(), j);
          }
        }
        int argmax = 0;
        for (int c = 1; c < 10; c++) {
          if (z[c] > z[argmax]) {
            argmax = c;
          }
        }
        assertThat(r.d().label(r.row())).isEqualTo(argmax);
        checked++;
      }
    }
    assertThat(checked).isEqualTo(data.train().size() + data.test().size());
  }

  @Test
  void generate_largerBeta_moreLabelHeterogeneityAcrossDevices() {
    double tv00 = 0;
    double tv11 = 0;
    int seeds = 20;
    for (long s = 0; s < seeds; s++) {
      tv00 += meanLabelTv(gen(0, 0, s)) / seeds;
      tv11 += meanLabelTv(gen(1, 1, s)) / seeds;
    }

    // Averaged over 20 seeds: about 0.79 for (0,0) and 0.81 for (1,1).
    assertThat(tv00).isBetween(0.6, 0.95);
    assertThat(tv11).isGreaterThan(tv00 + 0.01);
  }

  @Test
  void generate_largerBeta_deviceFeatureMeansSpreadMore() {
    double spread0 = deviceMeanSpread(gen(0, 0, 5));
    double spread1 = deviceMeanSpread(gen(0, 1, 5));

    // The per-device average of the 60 coordinate means is about B_k + N(0, 1/60): sd ~0.13 at beta 0, ~1 at 1.
    assertThat(spread0).isLessThan(0.3);
    assertThat(spread1).isGreaterThan(0.5);
  }

  private static double deviceMeanSpread(LoadedData data) {
    List<Double> means = new ArrayList<>();
    for (List<Row> rows : byDevice(data).values()) {
      double s = 0;
      for (Row r : rows) {
        for (int j = 0; j < F; j++) {
          s += r.d().feature(r.row(), j);
        }
      }
      means.add(s / ((double) rows.size() * F));
    }
    double mu = means.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    return Math.sqrt(means.stream().mapToDouble(m -> (m - mu) * (m - mu)).sum() / (means.size() - 1));
  }

  @Test
  void generate_alpha_doesNotChangeLabelsBecauseItShiftsEveryClassScoreEqually() {
    // W_k x + b_k with all entries ~ N(u_k, 1) is (W0 x + b0) + u_k (1 + sum x) for every class: argmax unchanged.
    LoadedData a0 = gen(0, 1, 9);
    LoadedData a3 = gen(3, 1, 9);

    assertThat(a3.train().features()).isEqualTo(a0.train().features());
    int same = 0;
    for (int i = 0; i < a0.train().size(); i++) {
      same += a0.train().label(i) == a3.train().label(i) ? 1 : 0;
    }
    assertThat((double) same / a0.train().size()).isGreaterThan(0.999);
  }

  @Test
  void generate_largestDevice_coordinateVarianceIsJToMinusOnePointTwo() {
    RandomSource rng = RandomSource.seeded(42);
    LoadedData data = SyntheticFedProx.generate(1, 1, 30, rng);
    Map<String, List<Row>> dev = byDevice(data);
    String largest = dev.keySet().stream().max((x, y) -> dev.get(x).size() - dev.get(y).size()).orElseThrow();
    List<Row> rows = dev.get(largest);
    int n = rows.size();
    assertThat(n).isGreaterThan(1000);
    SyntheticFedProx.DeviceModel m =
        SyntheticFedProx.deviceModel(1, 1, Integer.parseInt(largest.substring("device".length())), rng);

    for (int j : new int[] {1, 60}) {
      double mean = 0;
      for (Row r : rows) {
        mean += r.d().feature(r.row(), j - 1);
      }
      mean /= n;
      double var = 0;
      for (Row r : rows) {
        double d = r.d().feature(r.row(), j - 1) - mean;
        var += d * d;
      }
      var /= n - 1;
      double expected = Math.pow(j, -1.2);
      // Sample variance of a normal has relative sd sqrt(2/(n-1)); allow 4 of them.
      assertThat(var / expected).as("var of x_%d", j).isCloseTo(1.0, within(4 * Math.sqrt(2.0 / (n - 1))));
      assertThat(mean).as("mean of x_%d", j).isCloseTo(m.v()[j - 1], within(4 * Math.sqrt(expected / n)));
    }
  }

  @Test
  void generate_invalidArguments_rejected() {
    assertThatThrownBy(() -> SyntheticFedProx.generate(-1, 1, 30, RandomSource.seeded(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("alpha");
    assertThatThrownBy(() -> SyntheticFedProx.generate(1, Double.NaN, 30, RandomSource.seeded(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("beta");
    assertThatThrownBy(() -> SyntheticFedProx.generate(1, 1, 0, RandomSource.seeded(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("devices");
  }

  @Test
  void catalog_syntheticOneOne_resolvesSeededByOptions() throws IOException {
    CatalogOptions options = CatalogOptions.defaults();
    LoadedData viaCatalog = DatasetCatalog.resolve("synthetic:1,1", options);
    LoadedData direct = SyntheticFedProx.generate(1, 1, 30, RandomSource.seeded(options.seed()));
    LoadedData otherSeed = DatasetCatalog.resolve("synthetic:1,1", options.withSeed(options.seed() + 1));

    assertThat(viaCatalog.train().features()).isEqualTo(direct.train().features());
    assertThat(viaCatalog.test().labels()).isEqualTo(direct.test().labels());
    assertThat(viaCatalog.description()).startsWith("synthetic(1.0,1.0): 30 devices");
    assertThat(Arrays.equals(otherSeed.train().features(), viaCatalog.train().features())).isFalse();
  }

  @Test
  void catalog_upperCaseAndDeviceCount_resolves() throws IOException {
    LoadedData half = DatasetCatalog.resolve("SYNTHETIC:0.5,0.5", CatalogOptions.defaults());
    LoadedData ten = DatasetCatalog.resolve(" Synthetic:0.5, 0.5, 10 ", CatalogOptions.defaults());

    assertThat(half.description()).startsWith("synthetic(0.5,0.5): 30 devices");
    assertThat(new TreeSet<>(List.of(half.train().keys().orElseThrow()))).hasSize(30);
    assertThat(new TreeSet<>(List.of(ten.train().keys().orElseThrow()))).hasSize(10);
    assertThat(ten.description()).startsWith("synthetic(0.5,0.5): 10 devices");
  }

  @Test
  void catalog_malformedSyntheticSpec_rejectedNamingTheForm() {
    for (String spec : List.of("synthetic:x", "synthetic:1", "synthetic:1,1,1,1", "synthetic:-1,1",
        "synthetic:1,1,0", "synthetic:1,1,ten", "synthetic:")) {
      assertThatThrownBy(() -> DatasetCatalog.resolve(spec, CatalogOptions.defaults()))
          .as(spec)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + spec + "'")
          .hasMessageContaining("synthetic:ALPHA,BETA")
          .hasMessageContaining("synthetic:ALPHA,BETA,DEVICES");
    }
    assertThatThrownBy(() -> DatasetCatalog.resolve("synthetic:x", CatalogOptions.defaults()))
        .hasMessageContaining("expected 2 or 3 comma-separated values, got 1");
    assertThatThrownBy(() -> DatasetCatalog.resolve("synthetic:x,1", CatalogOptions.defaults()))
        .hasMessageContaining("ALPHA 'x' is not a number");
  }
}
