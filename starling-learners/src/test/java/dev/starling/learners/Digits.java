package dev.starling.learners;

import dev.starling.data.Dataset;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Test fixture: the UCI 8x8 digits (scikit-learn copy) bundled in starling-data's jar
 * ({@code dev/starling/data/digits.csv.gz}, read from the classpath), pixels scaled to [0, 1], split into
 * train and test by holding out every fifth row.
 */
final class Digits {
  static final int FEATURES = 64;
  static final int CLASSES = 10;

  private Digits() {}

  private static final String RESOURCE = "/dev/starling/data/digits.csv.gz";

  /** Rows whose index is not 4 mod 5. */
  static Dataset train() {
    return load(false);
  }

  /** Rows whose index is 4 mod 5. */
  static Dataset test() {
    return load(true);
  }

  private static Dataset load(boolean heldOut) {
    InputStream raw = Dataset.class.getResourceAsStream(RESOURCE);
    if (raw == null) {
      throw new IllegalStateException("digits resource " + RESOURCE + " is not on the test classpath");
    }
    List<float[]> rows = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(
        new GZIPInputStream(raw), StandardCharsets.US_ASCII))) {
      String line;
      int index = 0;
      while ((line = in.readLine()) != null) {
        if (line.isBlank()) {
          continue;
        }
        if ((index % 5 == 4) == heldOut) {
          String[] cells = line.split(",");
          float[] x = new float[FEATURES];
          for (int i = 0; i < FEATURES; i++) {
            x[i] = Float.parseFloat(cells[i]) / 16f;
          }
          rows.add(x);
          labels.add((int) Float.parseFloat(cells[FEATURES]));
        }
        index++;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
    float[] x = new float[rows.size() * FEATURES];
    int[] y = new int[rows.size()];
    for (int r = 0; r < rows.size(); r++) {
      System.arraycopy(rows.get(r), 0, x, r * FEATURES, FEATURES);
      y[r] = labels.get(r);
    }
    return Dataset.builder().name(heldOut ? "digits-test" : "digits-train").features(x).labels(y)
        .numFeatures(FEATURES).numClasses(CLASSES).build();
  }
}
