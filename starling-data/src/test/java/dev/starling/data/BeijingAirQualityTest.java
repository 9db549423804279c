package dev.starling.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.learner.Task;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BeijingAirQualityTest {
  private static final String HEADER = "\"No\",\"year\",\"month\",\"day\",\"hour\",\"PM2.5\",\"PM10\",\"SO2\",\"NO2\",\"CO\","
      + "\"O3\",\"TEMP\",\"PRES\",\"DEWP\",\"RAIN\",\"wd\",\"WSPM\",\"station\"\r\n";

  private static String row(int no, int year, int month, int hour, String pm25, String wd, String station) {
    return no + "," + year + "," + month + ",1," + hour + "," + pm25 + ",20,3,10,300,50,-1.5,1020,-10,0,\"" + wd
        + "\",2.5,\"" + station + "\"\r\n";
  }

  @Test
  void load_oneKeyPerStation_splitsByTime_dropsMissing_encodesFeatures(@TempDir Path dir) throws Exception {
    write(dir.resolve("PRSA_Data_Alpha_20130301-20170228.csv.gz"), HEADER + row(1, 2015, 5, 6, "12", "NNE", "Alpha")
        + row(2, 2015, 5, 7, "NA", "N", "Alpha") + row(3, 2016, 3, 0, "40", "WNW", "Alpha"));
    write(dir.resolve("PRSA_Data_Beta_20130301-20170228.csv.gz"), HEADER + row(1, 2016, 2, 18, "7.5", "S", "Beta")
        + row(2, 2017, 1, 0, "99", "E", "Beta"));
    LoadedData d = BeijingAirQuality.load(dir, BeijingAirQuality.Options.lastYear());
    Dataset train = d.train();
    assertThat(train.task()).isEqualTo(Task.REGRESSION);
    assertThat(train.numFeatures()).isEqualTo(BeijingAirQuality.FEATURES);
    assertThat(train.targets()).containsExactly(12f, 7.5f);
    assertThat(train.keys().orElseThrow()).containsExactly("Alpha", "Beta");
    assertThat(d.test().targets()).containsExactly(40f, 99f);
    assertThat(d.test().keys().orElseThrow()).containsExactly("Alpha", "Beta");
    assertThat(train.featureNames()).startsWith("PM10", "SO2").contains("hour_sin", "wd=NNE");
    assertThat(train.feature(0, 0)).isEqualTo(20f);
    assertThat(train.feature(0, 6)).isEqualTo(1020f);
    assertThat(train.feature(0, 10)).isEqualTo((float) Math.sin(2 * Math.PI * 6 / 24));
    assertThat(train.feature(0, 11)).isCloseTo(0f, org.assertj.core.data.Offset.offset(1e-6f));
    int nne = train.featureNames().indexOf("wd=NNE");
    assertThat(train.feature(0, nne)).isEqualTo(1f);
    float onehot = 0;
    for (int k = 14; k < 30; k++) {
      onehot += train.feature(0, k);
    }
    assertThat(onehot).isEqualTo(1f);
    LoadedData strided = BeijingAirQuality.load(dir, new BeijingAirQuality.Options(2016, 3, 2, 1));
    assertThat(strided.train().size() + strided.test().size()).isEqualTo(2); // Alpha rows 1 and 3
  }

  @Test
  void load_namesFileLineAndColumnOfABadValue(@TempDir Path dir) throws Exception {
    write(dir.resolve("PRSA_Data_Alpha_x.csv.gz"), HEADER + row(1, 2015, 5, 6, "12", "NNE", "Alpha")
        + row(2, 2015, 5, 7, "lots", "N", "Alpha"));
    assertThatThrownBy(() -> BeijingAirQuality.load(dir, BeijingAirQuality.Options.lastYear()))
        .isInstanceOf(DataFormatException.class)
        .hasMessageContaining("PRSA_Data_Alpha_x.csv.gz, line 3, column PM2.5").hasMessageContaining("'lots'");
    write(dir.resolve("PRSA_Data_Alpha_x.csv.gz"), HEADER + row(1, 2015, 5, 6, "12", "NORTH", "Alpha"));
    assertThatThrownBy(() -> BeijingAirQuality.load(dir, BeijingAirQuality.Options.lastYear()))
        .isInstanceOf(DataFormatException.class).hasMessageContaining("line 2, column wd");
    Files.delete(dir.resolve("PRSA_Data_Alpha_x.csv.gz"));
    assertThatThrownBy(() -> BeijingAirQuality.load(dir, BeijingAirQuality.Options.lastYear()))
        .isInstanceOf(java.io.FileNotFoundException.class).hasMessageContaining("PRSA_Data_");
  }

  private static void write(Path p, String content) throws Exception {
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(p))) {
      out.write(content.getBytes(StandardCharsets.UTF_8));
    }
  }
}
