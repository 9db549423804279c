package dev.starling.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxLoaderTest {
  private static final byte[] PIXELS = {0, (byte) 255, 51, 102, (byte) 204, 0, 0, 17, 34, 68, 85, (byte) 170};
  private static final byte[] LABELS = {2, 0, 1};

  @TempDir Path dir;

  /** 3 images of 2x2 pixels. */
  static byte[] images(int magic, int count, byte[] pixels) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(magic);
      out.writeInt(count);
      out.writeInt(2);
      out.writeInt(2);
      out.write(pixels);
    }
    return bytes.toByteArray();
  }

  static byte[] labels(int magic, byte[] labels) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(magic);
      out.writeInt(labels.length);
      out.write(labels);
    }
    return bytes.toByteArray();
  }

  private Path write(String name, byte[] content, boolean gzip) throws IOException {
    Path file = dir.resolve(name);
    try (OutputStream out = gzip ? new GZIPOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
      out.write(content);
    }
    return file;
  }

  @Test
  void load_plainFiles_roundTripsPixelsScaledBy255AndLabels() throws IOException {
    Path img = write("images-idx3-ubyte", images(IdxLoader.IMAGES_MAGIC, 3, PIXELS), false);
    Path lab = write("labels-idx1-ubyte", labels(IdxLoader.LABELS_MAGIC, LABELS), false);

    Dataset d = IdxLoader.load(img, lab);

    assertThat(d.size()).isEqualTo(3);
    assertThat(d.numFeatures()).isEqualTo(4);
    assertThat(d.numClasses()).isEqualTo(3);
    assertThat(d.labels()).containsExactly(2, 0, 1);
    assertThat(d.featureNames()).containsExactly("r0c0", "r0c1", "r1c0", "r1c1");
    float[] expected = new float[PIXELS.length];
    for (int i = 0; i < expected.length; i++) {
      expected[i] = (PIXELS[i] & 0xFF) / 255f;
    }
    assertThat(d.features()).containsExactly(expected);
    assertThat(d.feature(0, 1)).isEqualTo(1f);
  }

  @Test
  void load_gzipDetectedByMagicBytesNotName_givesSameData() throws IOException {
    Path img = write("images-idx3-ubyte", images(IdxLoader.IMAGES_MAGIC, 3, PIXELS), true);
    Path lab = write("labels-idx1-ubyte.gz", labels(IdxLoader.LABELS_MAGIC, LABELS), false);
    Path plainImg = write("plain-images-idx3-ubyte", images(IdxLoader.IMAGES_MAGIC, 3, PIXELS), false);

    Dataset gz = IdxLoader.load(img, lab);
    Dataset plain = IdxLoader.load(plainImg, lab);

    assertThat(gz.features()).containsExactly(plain.features());
    assertThat(gz.labels()).containsExactly(2, 0, 1);
  }

  @Test
  void load_badMagic_namesFileAndMagic() throws IOException {
    Path img = write("images", images(0x1234, 3, PIXELS), false);
    Path lab = write("labels", labels(IdxLoader.LABELS_MAGIC, LABELS), false);

    assertThatThrownBy(() -> IdxLoader.load(img, lab)).isInstanceOf(DataFormatException.class)
        .hasMessageContaining(img.toString()).hasMessageContaining("bad magic number 4660")
        .hasMessageContaining("expected 2051");
  }

  @Test
  void load_swappedFiles_saysTheyLookSwapped() throws IOException {
    Path img = write("images", images(IdxLoader.IMAGES_MAGIC, 3, PIXELS), false);
    Path lab = write("labels", labels(IdxLoader.LABELS_MAGIC, LABELS), false);

    assertThatThrownBy(() -> IdxLoader.load(lab, img)).isInstanceOf(DataFormatException.class)
        .hasMessageContaining("are the two swapped?");
  }

  @Test
  void load_truncatedPixels_reportsExpectedAndFoundBytes() throws IOException {
    Path img = write("images.gz", images(IdxLoader.IMAGES_MAGIC, 3, Arrays.copyOf(PIXELS, 7)), true);
    Path lab = write("labels", labels(IdxLoader.LABELS_MAGIC, LABELS), false);

    assertThatThrownBy(() -> IdxLoader.load(img, lab)).isInstanceOf(DataFormatException.class)
        .hasMessageContaining(img.toString()).hasMessageContaining("truncated")
        .hasMessageContaining("12 bytes of pixels").hasMessageContaining("after 7 bytes");
  }

  /** Gzip without compression (stored deflate blocks), so the pixel bytes appear verbatim in the file. */
  private static byte[] storedGzip(byte[] content) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(bytes) {
      {
        def.setLevel(Deflater.NO_COMPRESSION);
      }
    }) {
      out.write(content);
    }
    return bytes.toByteArray();
  }

  @Test
  void load_gzipWithFlippedPixelByte_failsOnCrcNamingTheFile() throws IOException {
    byte[] raw = images(IdxLoader.IMAGES_MAGIC, 3, PIXELS);
    byte[] gz = storedGzip(raw);
    // Find the pixels verbatim in the stored block and change one: inflating still succeeds, only the CRC differs.
    int at = indexOf(gz, PIXELS);
    assertThat(at).isPositive();
    gz[at + 2] ^= 0x10;
    Path img = write("images.gz", gz, false);
    Path lab = write("labels", labels(IdxLoader.LABELS_MAGIC, LABELS), false);

    assertThatThrownBy(() -> IdxLoader.load(img, lab)).isInstanceOf(DataFormatException.class)
        .hasMessageContaining(img.toString()).hasMessageContaining("corrupt gzip data");
  }

  @Test
  void load_gzipLabelsWithBadTrailer_failsNamingTheLabelFile() throws IOException {
    Path img = write("images", images(IdxLoader.IMAGES_MAGIC, 3, PIXELS), false);
    byte[] gz = storedGzip(labels(IdxLoader.LABELS_MAGIC, LABELS));
    gz[gz.length - 8] ^= 0x01; // first byte of the CRC-32
    Path lab = write("labels.gz", gz, false);

    assertThatThrownBy(() -> IdxLoader.load(img, lab)).isInstanceOf(DataFormatException.class)
        .hasMessageContaining(lab.toString()).hasMessageContaining("corrupt gzip data");
  }

  @Test
  void load_gzipWithoutTrailer_reportsTruncation() throws IOException {
    byte[] gz = storedGzip(images(IdxLoader.IMAGES_MAGIC, 3, PIXELS));
    Path img = write("images.gz", Arrays.copyOf(gz, gz.length - 8), false);
    Path lab = write("labels", labels(IdxLoader.LABELS_MAGIC, LABELS), false);

    assertThatThrownBy(() -> IdxLoader.load(img, lab)).isInstanceOf(DataFormatException.class)
        .hasMessageContaining(img.toString()).hasMessageContaining("truncated");
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Test
  void load_gzipStreamCutShort_reportsTruncation() throws IOException {
    byte[] big = new byte[3 * 4];
    Path full = write("full.gz", images(IdxLoader.IMAGES_MAGIC, 3, big), true);
    byte[] gz = Files.readAllBytes(full);
    Path img = write("cut.gz", Arrays.copyOf(gz, gz.length - 12), false);
    Path lab = write("labels", labels(IdxLoader.LABELS_MAGIC, LABELS), false);

    assertThatThrownBy(() -> IdxLoader.load(img, lab)).isInstanceOf(DataFormatException.class)
        .hasMessageContaining(img.toString()).hasMessageContaining("truncated");
  }

  @Test
  void load_truncatedHeader_reportsTruncation() throws IOException {
    Path img = write("images", Arrays.copyOf(images(IdxLoader.IMAGES_MAGIC, 3, PIXELS), 6), false);
    Path lab = write("labels", labels(IdxLoader.LABELS_MAGIC, LABELS), false);

    assertThatThrownBy(() -> IdxLoader.load(img, lab)).isInstanceOf(DataFormatException.class)
        .hasMessage(img + ": truncated: the file ends inside the header");
  }

  @Test
  void load_countMismatch_namesBothFilesAndCounts() throws IOException {
    Path img = write("images", images(IdxLoader.IMAGES_MAGIC, 3, PIXELS), false);
    Path lab = write("labels", labels(IdxLoader.LABELS_MAGIC, new byte[] {0, 1}), false);

    assertThatThrownBy(() -> IdxLoader.load(img, lab)).isInstanceOf(DataFormatException.class)
        .hasMessageContaining(img + " has 3 images but " + lab + " has 2 labels");
  }
}
