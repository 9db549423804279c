package dev.starling.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelArchiveTest {
  private static ModelArchive sample() {
    float[] big = new float[50_000];
    for (int i = 0; i < big.length; i++) {
      big[i] = (float) Math.sin(i) * 1e3f;
    }
    big[7] = Float.MIN_VALUE;
    big[8] = -0.0f;
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("model", "mlp:200,200");
    meta.put("class_names", "a\u001fb");
    return new ModelArchive(meta, ParameterSet.of(Tensor.of("layer0.weight", big, 250, 200),
        Tensor.of("layer0.bias", new float[] {1.5f, -2.25f}, 2)));
  }

  @Test
  void writeThenRead_roundTripsBitExactly() throws IOException {
    ModelArchive a = sample();
    ModelArchive b = ModelArchive.readFrom(new ByteArrayInputStream(a.toBytes()), "mem");
    assertThat(b.metadata()).containsExactlyEntriesOf(a.metadata());
    assertThat(b.parameters().names()).containsExactly("layer0.weight", "layer0.bias");
    assertThat(b.parameters().get("layer0.weight").shape()).containsExactly(250, 200);
    float[] x = a.parameters().flatten();
    float[] y = b.parameters().flatten();
    for (int i = 0; i < x.length; i++) {
      assertThat(Float.floatToRawIntBits(y[i])).isEqualTo(Float.floatToRawIntBits(x[i]));
    }
  }

  @Test
  void read_flippedByte_detectedByChecksum() {
    byte[] bytes = sample().toBytes();
    bytes[bytes.length / 2] ^= 1;
    assertThatThrownBy(() -> ModelArchive.readFrom(new ByteArrayInputStream(bytes), "model.bin"))
        .isInstanceOf(IOException.class).hasMessage("model.bin: checksum mismatch (file corrupted)");
  }

  @Test
  void read_truncated_saysTruncated() {
    byte[] bytes = Arrays.copyOf(sample().toBytes(), 1000);
    assertThatThrownBy(() -> ModelArchive.readFrom(new ByteArrayInputStream(bytes), "m"))
        .isInstanceOf(IOException.class).hasMessageContaining("m: truncated model file");
  }

  @Test
  void read_otherFile_saysBadMagic() {
    assertThatThrownBy(() -> ModelArchive.readFrom(new ByteArrayInputStream("hello world, not a model".getBytes()), "x.txt"))
        .hasMessageContaining("x.txt: not a Starling model file");
  }

  @Test
  void read_newerVersion_refusedWithVersionInMessage() {
    byte[] bytes = sample().toBytes();
    bytes[11] = 9; // version int32 at offset 8..11
    assertThatThrownBy(() -> ModelArchive.readFrom(new ByteArrayInputStream(bytes), "m"))
        .hasMessageContaining("version 9 is not supported");
  }

  @Test
  void version2_roundTripsAuxiliaryTensors() throws IOException {
    ModelArchive a = new ModelArchive(Map.of("task", "regression"), ParameterSet.of(Tensor.of("w", new float[] {1f}, 1)),
        ParameterSet.of(Tensor.of("standardize.mean", new float[] {0.5f, -2f}, 2)));
    byte[] bytes = a.toBytes();
    assertThat(java.nio.ByteBuffer.wrap(bytes, 8, 4).getInt()).isEqualTo(2);
    ModelArchive b = ModelArchive.readFrom(new ByteArrayInputStream(bytes), "mem");
    assertThat(b.auxiliary().names()).containsExactly("standardize.mean");
    assertThat(b.auxiliary().get("standardize.mean").data()).containsExactly(0.5f, -2f);
    assertThat(b.metadata()).containsEntry("task", "regression");
  }

  @Test
  void goldenVersion1File_isStillRead() throws IOException {
    try (var in = getClass().getResourceAsStream("/golden/model-v1-breast-cancer-logreg.bin")) {
      byte[] bytes = in.readAllBytes();
      assertThat(java.nio.ByteBuffer.wrap(bytes, 8, 4).getInt()).isEqualTo(1);
      ModelArchive a = ModelArchive.readFrom(new ByteArrayInputStream(bytes), "golden-v1");
      assertThat(a.metadata()).containsEntry("model", "logreg").containsEntry("num_features", "30")
          .containsEntry("preprocessing", "standardize-per-party");
      assertThat(a.parameters().names()).containsExactlyInAnyOrder("layer0.weight", "layer0.bias");
      assertThat(a.parameters().get("layer0.weight").shape()).containsExactly(30, 2);
      assertThat(a.auxiliary().count()).isZero();
    }
  }
}
