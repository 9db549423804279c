package dev.starling.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetCatalogTest {
  /** The repository's testdata/ folder (root README: Datasets), passed in by surefire. */
  private static final Path TEST_DATA = Path.of(System.getProperty("starling.testdata", "../testdata"));
  private static final CatalogOptions OPTIONS = CatalogOptions.defaults().withSearchDirs(List.of(TEST_DATA));

  @TempDir Path dir;

  private static int expectedTest(int[] classCounts, double fraction) {
    int n = 0;
    for (int c : classCounts) {
      n += (int) Math.round(fraction * c);
    }
    return n;
  }

  @Test
  void resolve_digits_loadsBundledDataScaledAndHeldOutPerClass() throws IOException {
    LoadedData data = DatasetCatalog.resolve("digits", OPTIONS);

    int[] counts = {178, 182, 177, 183, 181, 182, 181, 179, 174, 180};
    int expectedTest = expectedTest(counts, 0.2);
    assertThat(expectedTest).isEqualTo(359);
    assertThat(data.train().size() + data.test().size()).isEqualTo(1797);
    assertThat(data.test().size()).isEqualTo(expectedTest);
    assertThat(data.train().numFeatures()).isEqualTo(64);
    assertThat(data.train().numClasses()).isEqualTo(10);
    int[] total = data.train().classCounts();
    for (int c = 0; c < 10; c++) {
      total[c] += data.test().classCounts()[c];
    }
    assertThat(total).containsExactly(counts);
    float max = 0;
    for (float v : data.train().features()) {
      assertThat(v).isBetween(0f, 1f);
      max = Math.max(max, v);
    }
    assertThat(max).isEqualTo(1f);
    assertThat(data.description()).contains("digits").contains("359 test");
  }

  @Test
  void resolve_digitsTwiceSameSeed_givesSameSplit() throws IOException {
    LoadedData a = DatasetCatalog.resolve("digits", OPTIONS);
    LoadedData b = DatasetCatalog.resolve("DIGITS", OPTIONS);
    LoadedData c = DatasetCatalog.resolve("digits", OPTIONS.withSeed(OPTIONS.seed() + 1));

    assertThat(b.test().labels()).containsExactly(a.test().labels());
    assertThat(b.test().features()).containsExactly(a.test().features());
    assertThat(c.test().features()).isNotEqualTo(a.test().features());
  }

  @Test
  void resolve_breastCancer_dropsIdAndNamesClasses() throws IOException {
    LoadedData data = DatasetCatalog.resolve("breast-cancer", OPTIONS);

    assertThat(data.train().size() + data.test().size()).isEqualTo(456);
    assertThat(data.test().size()).isEqualTo(expectedTest(new int[] {170, 286}, 0.2));
    assertThat(data.train().numFeatures()).isEqualTo(30);
    assertThat(data.train().featureNames()).doesNotContain("id", "target").startsWith("radius_mean");
    assertThat(data.train().classNames()).containsExactly("malignant", "benign");
  }

  @Test
  void resolve_mnist_loadsFromSearchDirs() throws IOException {
    LoadedData data = DatasetCatalog.resolve("mnist", OPTIONS);

    assertThat(data.train().size() + data.test().size()).isEqualTo(8000);
    assertThat(data.train().numFeatures()).isEqualTo(784);
    assertThat(data.test().numClasses()).isEqualTo(10);
    assertThat(data.test().size())
        .isEqualTo(expectedTest(new int[] {801, 902, 793, 826, 784, 690, 811, 856, 755, 782}, 0.2));
  }

  @Test
  void resolve_mnistNotInSearchDirs_listsDirsAndSuggestsDataDir() {
    CatalogOptions none = OPTIONS.withSearchDirs(List.of(dir));

    assertThatThrownBy(() -> DatasetCatalog.resolve("mnist", none)).isInstanceOf(FileNotFoundException.class)
        .hasMessageContaining(dir.toString()).hasMessageContaining("mnist-10k").hasMessageContaining("--data-dir");
  }

  @Test
  void resolve_unknownName_listsBuiltins() {
    assertThatThrownBy(() -> DatasetCatalog.resolve("cifar", OPTIONS)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown dataset 'cifar'").hasMessageContaining("digits")
        .hasMessageContaining("breast-cancer").hasMessageContaining("fashion-mnist");
  }

  @Test
  void resolve_sharedSetsNotInAnySearchDir_sayWhichFolderToPass() {
    assertThatThrownBy(() -> DatasetCatalog.resolve("shakespeare", CatalogOptions.defaults().withSearchDirs(List.of())))
        .isInstanceOf(java.io.FileNotFoundException.class)
        .hasMessageContaining("tiny-shakespeare/tiny_shakespeare_by_speaker.tsv.gz").hasMessageContaining("--data-dir");
    assertThatThrownBy(() -> DatasetCatalog.resolve("beijing-air", CatalogOptions.defaults().withSearchDirs(List.of())))
        .isInstanceOf(java.io.FileNotFoundException.class).hasMessageContaining("beijing-air-quality/");
  }

  @Test
  void builtinNames_andDescriptions_coverEveryBuiltin() {
    assertThat(DatasetCatalog.builtinNames()).containsExactly("digits", "breast-cancer", "mnist", "fashion-mnist",
        "credit-amount", "persuasion", "shakespeare", "beijing-air");
    assertThat(DatasetCatalog.describeBuiltins().lines())
        .hasSize(8).allSatisfy(line -> assertThat(line.trim()).contains(" "));
  }

  @Test
  void resolve_csvPath_appliesCsvOptionsAndHoldout() throws IOException {
    Path csv = dir.resolve("h.csv");
    StringBuilder text = new StringBuilder("id,site,x,outcome\n");
    for (int i = 0; i < 20; i++) {
      text.append(i).append(',').append(i % 2 == 0 ? "a" : "b").append(',').append(i).append(',')
          .append(i < 10 ? "no" : "yes").append('\n');
    }
    Files.writeString(csv, text);
    CatalogOptions o = new CatalogOptions(Optional.of("outcome"), Optional.of("site"), List.of("id"),
        MissingValues.REJECT, 0.2, 5, List.of());

    LoadedData data = DatasetCatalog.resolve(csv.toString(), o);

    assertThat(data.train().featureNames()).containsExactly("x");
    assertThat(data.test().classCounts()).containsExactly(2, 2);
    assertThat(data.train().keyName()).contains("site");
    assertThat(data.train().keys()).hasValueSatisfying(k -> assertThat(k).hasSize(16).containsOnly("a", "b"));
  }

  @Test
  void resolve_missingCsvPath_saysNoSuchFile() {
    String path = dir.resolve("absent.csv").toString();

    assertThatThrownBy(() -> DatasetCatalog.resolve(path, OPTIONS)).isInstanceOf(FileNotFoundException.class)
        .hasMessageContaining(path);
  }

  @Test
  void resolve_idxDirectoryWithTestPair_usesOwnTestSplit() throws IOException {
    byte[] pixels = new byte[12];
    Files.write(dir.resolve("train-images-idx3-ubyte"), IdxLoaderTest.images(IdxLoader.IMAGES_MAGIC, 3, pixels));
    Files.write(dir.resolve("train-labels-idx1-ubyte"), IdxLoaderTest.labels(IdxLoader.LABELS_MAGIC,
        new byte[] {0, 1, 1}));
    Files.write(dir.resolve("t10k-images-idx3-ubyte"), IdxLoaderTest.images(IdxLoader.IMAGES_MAGIC, 2,
        new byte[8]));
    Files.write(dir.resolve("t10k-labels-idx1-ubyte"), IdxLoaderTest.labels(IdxLoader.LABELS_MAGIC,
        new byte[] {1, 0}));

    LoadedData data = DatasetCatalog.resolve(dir.toString(), OPTIONS);

    assertThat(data.train().size()).isEqualTo(3);
    assertThat(data.test().labels()).containsExactly(1, 0);
    assertThat(data.description()).contains("own test split");
  }

  @Test
  void resolve_idxDirectoryWithOnePair_holdsOutPerClass() throws IOException {
    int n = 20;
    byte[] labels = new byte[n];
    for (int i = 0; i < n; i++) {
      labels[i] = (byte) (i % 2);
    }
    Files.write(dir.resolve("x-images-idx3-ubyte.gz.raw"), IdxLoaderTest.images(IdxLoader.IMAGES_MAGIC, n,
        new byte[n * 4]));
    Files.write(dir.resolve("x-labels-idx1-ubyte"), IdxLoaderTest.labels(IdxLoader.LABELS_MAGIC, labels));

    LoadedData data = DatasetCatalog.resolve(dir.toString(), OPTIONS);

    assertThat(data.test().classCounts()).containsExactly(2, 2);
    assertThat(data.train().size()).isEqualTo(16);
  }
}
