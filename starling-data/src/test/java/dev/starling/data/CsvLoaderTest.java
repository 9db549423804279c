package dev.starling.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvLoaderTest {
  private static final CsvLoader DEFAULT = CsvLoader.builder().build();

  @TempDir Path dir;

  private static Dataset load(CsvLoader loader, String csv) throws IOException {
    return loader.load(new ByteArrayInputStream(csv.getBytes(StandardCharsets.UTF_8)), "data.csv");
  }

  @Test
  void load_mixedColumns_oneHotEncodesTextColumnsAndMapsStringLabels() throws IOException {
    String csv = """
        id,age,colour,outcome
        1,30,red,yes
        2,40,blue,no
        3,50,red,maybe
        """;
    Dataset d = load(CsvLoader.builder().labelColumn("outcome").dropColumns(List.of("id")).build(), csv);

    assertThat(d.name()).isEqualTo("data.csv");
    assertThat(d.featureNames()).containsExactly("age", "colour=blue", "colour=red");
    assertThat(d.classNames()).containsExactly("maybe", "no", "yes");
    assertThat(d.labels()).containsExactly(2, 1, 0);
    assertThat(d.features()).containsExactly(30f, 0f, 1f, 40f, 1f, 0f, 50f, 0f, 1f);
    assertThat(d.keys()).isEmpty();
  }

  @Test
  void load_valueBeyondFloat32_isRejectedWithFileLineAndColumn() {
    // 5e38 and 1e308 are finite doubles but overflow float32 to Infinity; 3.4e38 still fits.
    assertThatThrownBy(() -> load(DEFAULT, "a,b,label\n1,3.4e38,0\n2,5e38,1\n3,1,0\n"))
        .isInstanceOf(DataFormatException.class).hasMessageContaining("data.csv line 3, column 'b'")
        .hasMessageContaining("'5e38'").hasMessageContaining("float32");
    assertThatThrownBy(() -> load(DEFAULT, "a,label\n1,0\n2,1\n-1e308,0\n"))
        .isInstanceOf(DataFormatException.class).hasMessageContaining("data.csv line 4, column 'a'")
        .hasMessageContaining("'-1e308'");
  }

  @Test
  void load_valueAtFloat32Limit_isKept() throws IOException {
    Dataset d = load(DEFAULT, "a,label\n3.4e38,0\n-3.4e38,1\n");

    assertThat(d.features()).containsExactly(3.4e38f, -3.4e38f);
  }

  @Test
  void load_integerLabels0ToKMinus1_usesThemDirectly() throws IOException {
    Dataset d = load(DEFAULT, "x,y\n1.5,2\n2.5,0\n3.5,1\n");

    assertThat(d.labels()).containsExactly(2, 0, 1);
    assertThat(d.classNames()).containsExactly("0", "1", "2");
    assertThat(d.features()).containsExactly(1.5f, 2.5f, 3.5f);
  }

  @Test
  void load_integerLabelsNotFromZero_mapsInNumericOrder() throws IOException {
    Dataset d = load(CsvLoader.builder().labelColumn("grade").build(), "x,grade\n1,10\n2,2\n3,10\n");

    assertThat(d.classNames()).containsExactly("2", "10");
    assertThat(d.labels()).containsExactly(1, 0, 1);
  }

  @Test
  void load_noLabelGiven_prefersTargetColumnCaseInsensitively() throws IOException {
    Dataset d = load(DEFAULT, "a,TARGET,b\n1,0,5\n2,1,6\n");

    assertThat(d.featureNames()).containsExactly("a", "b");
    assertThat(d.labels()).containsExactly(0, 1);
  }

  @Test
  void load_noLabelColumnNamed_usesLastColumn() throws IOException {
    Dataset d = load(DEFAULT, "a,b,kind\n1,2,cat\n3,4,dog\n");

    assertThat(d.featureNames()).containsExactly("a", "b");
    assertThat(d.classNames()).containsExactly("cat", "dog");
  }

  @Test
  void load_keyColumn_keptAsKeysAndExcludedFromFeatures() throws IOException {
    Dataset d = load(CsvLoader.builder().keyColumn("hospital").build(),
        "hospital,x,label\ncleveland,1,0\nva,2,1\ncleveland,3,1\n");

    assertThat(d.featureNames()).containsExactly("x");
    assertThat(d.keyName()).contains("hospital");
    assertThat(d.keys()).hasValueSatisfying(k -> assertThat(k).containsExactly("cleveland", "va", "cleveland"));
  }

  @Test
  void load_categoricalColumnListed_oneHotEncodesNumbers() throws IOException {
    Dataset d = load(CsvLoader.builder().categoricalColumns(List.of("zip")).build(), "zip,label\n90,0\n10,1\n90,1\n");

    assertThat(d.featureNames()).containsExactly("zip=10", "zip=90");
    assertThat(d.features()).containsExactly(0f, 1f, 1f, 0f, 0f, 1f);
  }

  @Test
  void load_headerless_namesColumnsAndTakesLastAsLabel() throws IOException {
    Dataset d = load(CsvLoader.builder().hasHeader(false).build(), "1,2,0\n3,4,1\n");

    assertThat(d.featureNames()).containsExactly("c0", "c1");
    assertThat(d.size()).isEqualTo(2);
    assertThat(d.labels()).containsExactly(0, 1);
  }

  @Test
  void load_gzipFile_readsCompressedContent() throws IOException {
    Path file = dir.resolve("data.csv.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write("a,label\n1,x\n2,y\n".getBytes(StandardCharsets.UTF_8));
    }

    Dataset d = DEFAULT.load(file);

    assertThat(d.name()).isEqualTo(file.toString());
    assertThat(d.features()).containsExactly(1f, 2f);
    assertThat(d.classNames()).containsExactly("x", "y");
  }

  @Test
  void load_gzipNameButPlainContent_reportsNotGzip() throws IOException {
    Path file = dir.resolve("plain.csv.gz");
    Files.writeString(file, "a,label\n1,0\n");

    assertThatThrownBy(() -> DEFAULT.load(file)).isInstanceOf(DataFormatException.class)
        .hasMessageContaining("plain.csv.gz").hasMessageContaining("not a gzip file");
  }

  @Test
  void load_missingValueUnderReject_namesFileLineAndColumn() {
    String csv = "age,label\n30,0\n\n40,1\n NA ,0\n";

    assertThatThrownBy(() -> load(DEFAULT, csv)).isInstanceOf(DataFormatException.class)
        .hasMessage("data.csv line 5, column 'age': missing value (use --missing drop|mean to allow)");
  }

  @Test
  void load_valueNotANumber_namesFileLineColumnAndValue() {
    String csv = "age,label\n30,0\n40,1\nabc,0\n50,1\n";

    assertThatThrownBy(() -> load(DEFAULT, csv)).isInstanceOf(DataFormatException.class)
        .hasMessageStartingWith("data.csv line 4, column 'age': 'abc' is not a number");
  }

  @Test
  void load_multiLineQuotedField_reportsPhysicalStartLine() {
    String csv = "note,age,label\n\"two\nlines\",30,0\nok,x1,1\nok,4,1\nok,5,0\n";

    assertThatThrownBy(() -> load(DEFAULT, csv)).isInstanceOf(DataFormatException.class)
        .hasMessageStartingWith("data.csv line 4, column 'age': 'x1' is not a number");
  }

  @Test
  void load_wrongFieldCount_namesLineAndCounts() {
    String csv = "a,b,label\n1,2,0\n3,1\n";

    assertThatThrownBy(() -> load(DEFAULT, csv)).isInstanceOf(DataFormatException.class)
        .hasMessage("data.csv line 3: expected 3 fields (as in the header) but found 2");
  }

  @Test
  void load_unknownLabelColumn_listsAvailableColumns() {
    CsvLoader loader = CsvLoader.builder().labelColumn("outcome").build();

    assertThatThrownBy(() -> load(loader, "age,sex,label\n1,m,0\n")).isInstanceOf(DataFormatException.class)
        .hasMessage("data.csv: label column 'outcome' not found. Available columns: age, sex, label");
  }

  @Test
  void load_unknownDropColumn_listsAvailableColumns() {
    CsvLoader loader = CsvLoader.builder().dropColumns(List.of("id")).build();

    assertThatThrownBy(() -> load(loader, "age,label\n1,0\n2,1\n")).isInstanceOf(DataFormatException.class)
        .hasMessageContaining("drop column 'id' not found").hasMessageContaining("age, label");
  }

  @Test
  void load_emptyFile_saysEmpty() {
    assertThatThrownBy(() -> load(DEFAULT, "")).isInstanceOf(DataFormatException.class)
        .hasMessage("data.csv: empty file (no header line)");
  }

  @Test
  void load_headerOnly_saysNoDataRows() {
    assertThatThrownBy(() -> load(DEFAULT, "a,label\n")).isInstanceOf(DataFormatException.class)
        .hasMessage("data.csv: no data rows after the header");
  }

  @Test
  void load_singleClassLabel_rejected() {
    assertThatThrownBy(() -> load(DEFAULT, "a,label\n1,yes\n2,yes\n")).isInstanceOf(DataFormatException.class)
        .hasMessageContaining("column 'label'").hasMessageContaining("single class ('yes')");
  }

  @Test
  void load_guessedLabelWithManyValues_asksForLabelColumn() {
    StringBuilder csv = new StringBuilder("a,price\n");
    for (int i = 0; i < 150; i++) {
      csv.append(i).append(',').append(1000 + i).append('\n');
    }

    assertThatThrownBy(() -> load(DEFAULT, csv.toString())).isInstanceOf(DataFormatException.class)
        .hasMessageContaining("last column 'price'").hasMessageContaining("150 distinct values")
        .hasMessageContaining("--label");
  }

  @Test
  void load_dropRowPolicy_dropsRowsWithAnyMissingValue() throws IOException {
    CsvLoader loader = CsvLoader.builder().missing(MissingValues.DROP_ROW).build();

    Dataset d = load(loader, "a,b,label\n1,?,0\n2,5,1\n3,6,\nnull,7,1\n4,8,0\n");

    assertThat(d.size()).isEqualTo(2);
    assertThat(d.features()).containsExactly(2f, 5f, 4f, 8f);
    assertThat(d.labels()).containsExactly(1, 0);
  }

  @Test
  void load_meanImputePolicy_fillsNumericMeanAndAddsMissingCategory() throws IOException {
    CsvLoader loader = CsvLoader.builder().missing(MissingValues.MEAN_IMPUTE).build();

    Dataset d = load(loader, "a,colour,label\n1,red,0\nNaN,,1\n5,blue,1\n");

    assertThat(d.featureNames()).containsExactly("a", "colour=blue", "colour=red", "colour=<missing>");
    assertThat(d.feature(1, 0)).isCloseTo(3f, within(1e-6f));
    assertThat(d.features()).containsExactly(1f, 0f, 1f, 0f, 3f, 0f, 0f, 1f, 5f, 1f, 0f, 0f);
  }

  @Test
  void load_meanImputeWithMissingLabel_stillRejected() {
    CsvLoader loader = CsvLoader.builder().missing(MissingValues.MEAN_IMPUTE).build();

    assertThatThrownBy(() -> load(loader, "a,label\n1,0\n2,\n3,1\n")).isInstanceOf(DataFormatException.class)
        .hasMessageStartingWith("data.csv line 3, column 'label': missing label");
  }

  @Test
  void load_path_missingFile_namesPath() {
    Path missing = dir.resolve("nope.csv");

    assertThatThrownBy(() -> DEFAULT.load(missing)).isInstanceOf(IOException.class)
        .hasMessageContaining(missing.toString());
  }
}
