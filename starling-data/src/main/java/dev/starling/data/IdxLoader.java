package dev.starling.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Loads an image classification {@link Dataset} from a pair of MNIST IDX files (LeCun et al. 1998 format):
 * an image file (big-endian int32 magic {@value #IMAGES_MAGIC}, count, rows, cols, then count*rows*cols
 * unsigned bytes, row-major) and a label file (magic {@value #LABELS_MAGIC}, count, then count unsigned
 * bytes). Either file may be gzip-compressed; that is detected from the gzip magic bytes {@code 1f 8b},
 * not from the name.
 *
 * <p>Pixels are scaled to [0, 1] by dividing by 255, a fixed scale rather than a statistic fitted to the
 * data, so every party scales identically without sharing anything. Features are named {@code r<row>c<col>};
 * the number of classes is the largest label plus one.
 *
 * <p>Errors are {@link DataFormatException}s naming the file: bad magic number, image and label counts
 * that differ, a truncated file, corrupt gzip data. Each file is read to its end, so that a gzip file's trailer
 * (CRC-32 and length of the uncompressed bytes) is checked: {@link GZIPInputStream} checks it only there, and
 * a flipped bit in the compressed pixels otherwise decodes into wrong pixels without any error. Bytes after
 * the IDX content are ignored. Stateless and thread-safe.
 */
public final class IdxLoader {
  /** Magic number of an IDX file of unsigned bytes with 3 dimensions (images). */
  public static final int IMAGES_MAGIC = 0x00000803;
  /** Magic number of an IDX file of unsigned bytes with 1 dimension (labels). */
  public static final int LABELS_MAGIC = 0x00000801;

  private static final int CHUNK = 1 << 16;

  private IdxLoader() {}

  /** Loads the images in {@code images} with the labels in {@code labels}; named after the image file. */
  public static Dataset load(Path images, Path labels) throws IOException {
    try (DataInputStream img = open(images); DataInputStream lab = open(labels)) {
      String imgName = images.toString();
      String labName = labels.toString();
      int n = header(img, imgName, IMAGES_MAGIC, "image");
      int rows = positive(readInt(img, imgName, "header"), imgName, "rows");
      int cols = positive(readInt(img, imgName, "header"), imgName, "columns");
      int nLabels = header(lab, labName, LABELS_MAGIC, "label");
      if (n != nLabels) {
        throw new DataFormatException(imgName + " has " + n + " images but " + labName + " has " + nLabels
            + " labels; the two files must describe the same images");
      }
      long cells = (long) n * rows * cols;
      if (cells > Integer.MAX_VALUE - 8) {
        throw new DataFormatException(imgName + ": " + n + " images of " + rows + "x" + cols
            + " are too many to hold in one array");
      }
      float[] x = pixels(img, imgName, (int) cells, n, rows, cols);
      int[] y = labels(lab, labName, n);
      readToEnd(img, imgName);
      readToEnd(lab, labName);
      int numClasses = 0;
      for (int v : y) {
        numClasses = Math.max(numClasses, v + 1);
      }
      if (numClasses < 2) {
        throw new DataFormatException(labName + ": every label is 0; a classifier needs at least 2 classes");
      }
      return Dataset.builder().name(images.getFileName().toString()).features(x).labels(y)
          .numFeatures(rows * cols).numClasses(numClasses).featureNames(pixelNames(rows, cols)).build();
    }
  }

  private static DataInputStream open(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "no such file");
    }
    InputStream in = new BufferedInputStream(Files.newInputStream(file), CHUNK);
    try {
      in.mark(2);
      int b0 = in.read();
      int b1 = in.read();
      in.reset();
      if (b0 == 0x1f && b1 == 0x8b) {
        in = new BufferedInputStream(new GZIPInputStream(in, CHUNK), CHUNK);
      }
      return new DataInputStream(in);
    } catch (IOException e) {
      in.close();
      throw new DataFormatException(file + ": unreadable gzip data: " + e.getMessage(), e);
    }
  }

  /** Reads and checks the magic number, then returns the item count. */
  private static int header(DataInputStream in, String name, int magic, String kind) throws IOException {
    int found = readInt(in, name, "header");
    if (found != magic) {
      String hint = found == (magic == IMAGES_MAGIC ? LABELS_MAGIC : IMAGES_MAGIC)
          ? " (this looks like the " + (magic == IMAGES_MAGIC ? "label" : "image") + " file; are the two swapped?)"
          : "";
      throw new DataFormatException(name + ": bad magic number " + found + " (0x" + Integer.toHexString(found)
          + "), expected " + magic + " for an IDX " + kind + " file" + hint);
    }
    int count = readInt(in, name, "header");
    if (count < 0) {
      throw new DataFormatException(name + ": negative item count " + count + " in the header");
    }
    return count;
  }

  private static int readInt(DataInputStream in, String name, String part) throws IOException {
    try {
      return in.readInt();
    } catch (EOFException e) {
      throw new DataFormatException(name + ": truncated: the file ends inside the " + part, e);
    }
  }

  private static int positive(int v, String name, String what) throws DataFormatException {
    if (v <= 0) {
      throw new DataFormatException(name + ": number of " + what + " must be > 0 but the header says " + v);
    }
    return v;
  }

  private static float[] pixels(InputStream in, String name, int cells, int n, int rows, int cols)
      throws IOException {
    float[] x = new float[cells];
    byte[] buf = new byte[CHUNK];
    int done = 0;
    while (done < cells) {
      int got = readSome(in, name, buf, 0, Math.min(CHUNK, cells - done));
      if (got < 0) {
        throw new DataFormatException(name + ": truncated: expected " + n + " images of " + rows + "x" + cols
            + " (" + cells + " bytes of pixels) but the file ends after " + done + " bytes of pixels");
      }
      for (int i = 0; i < got; i++) {
        x[done + i] = (buf[i] & 0xFF) / 255f;
      }
      done += got;
    }
    return x;
  }

  /**
   * Like {@link InputStream#read(byte[], int, int)}, but a gzip stream cut short also reads as the end, and
   * corrupt gzip data is a {@link DataFormatException} naming the file.
   */
  private static int readSome(InputStream in, String name, byte[] buf, int off, int len) throws IOException {
    try {
      return in.read(buf, off, len);
    } catch (EOFException e) {
      return -1;
    } catch (ZipException e) {
      throw corrupt(name, e);
    }
  }

  /** Reads and discards the rest of the file, which makes a gzip stream check its CRC-32 and length trailer. */
  private static void readToEnd(InputStream in, String name) throws IOException {
    byte[] buf = new byte[CHUNK];
    try {
      while (in.read(buf, 0, buf.length) >= 0) {
        // discard: only the gzip trailer check matters
      }
    } catch (EOFException e) {
      throw new DataFormatException(name + ": truncated: the gzip data ends before its CRC-32 and length trailer",
          e);
    } catch (ZipException e) {
      throw corrupt(name, e);
    }
  }

  private static DataFormatException corrupt(String name, ZipException e) {
    return new DataFormatException(name + ": corrupt gzip data (" + e.getMessage()
        + "); the file was damaged after it was written, get a fresh copy", e);
  }

  private static int[] labels(InputStream in, String name, int n) throws IOException {
    byte[] raw = new byte[n];
    int done = 0;
    while (done < n) {
      int got = readSome(in, name, raw, done, n - done);
      if (got < 0) {
        throw new DataFormatException(name + ": truncated: expected " + n + " labels but the file ends after "
            + done);
      }
      done += got;
    }
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = raw[i] & 0xFF;
    }
    return y;
  }

  private static List<String> pixelNames(int rows, int cols) {
    String[] names = new String[rows * cols];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        names[r * cols + c] = "r" + r + "c" + c;
      }
    }
    return List.of(names);
  }
}
