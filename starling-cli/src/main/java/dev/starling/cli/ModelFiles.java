package dev.starling.cli;

import dev.starling.core.io.ModelArchive;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Reads and writes model files ({@link ModelArchive} format, version 2 written, 1 and 2 read; the preprocessing
 * fields are {@link dev.starling.data.Preprocessing}'s). Writes are atomic: a temporary file in
 * the same directory, then a rename, so a crash never leaves a torn model file.
 */
final class ModelFiles {
  /** Metadata keys of a model file (see README, "Model file"). */
  static final String MODEL = "model";
  static final String NUM_FEATURES = "num_features";
  static final String NUM_CLASSES = "num_classes";
  /** Written and read by {@link dev.starling.data.Preprocessing} (v2 adds task, schema and statistics). */
  static final String PREPROCESSING = dev.starling.data.Preprocessing.PREPROCESSING;
  static final String CLASS_NAMES = dev.starling.data.Preprocessing.CLASS_NAMES;

  private ModelFiles() {}

  static void write(Path path, ModelArchive archive) throws IOException {
    Path abs = path.toAbsolutePath();
    Files.createDirectories(abs.getParent());
    Path tmp = Files.createTempFile(abs.getParent(), abs.getFileName().toString(), ".tmp");
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp))) {
      archive.writeTo(out);
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  static ModelArchive read(Path path) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(path))) {
      return ModelArchive.readFrom(in, path.toString());
    } catch (NoSuchFileException e) {
      throw new IOException("model file not found: " + path, e);
    }
  }
}
