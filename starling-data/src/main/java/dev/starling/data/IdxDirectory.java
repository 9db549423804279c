package dev.starling.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds the IDX files in a folder: either one image file and one label file, or a training pair plus a
 * test pair whose names contain {@code t10k} or {@code test} (as in the MNIST distribution). Image files
 * have {@code images} and {@code idx3} in their names, label files {@code labels} and {@code idx1}; pairs are
 * matched by the text before {@code images}/{@code labels}.
 */
record IdxDirectory(Pair train, Optional<Pair> test) {

  /** One image file and the label file that goes with it. */
  record Pair(String prefix, Path images, Path labels) {}

  static IdxDirectory scan(Path dir) throws IOException {
    List<Path> images = new ArrayList<>();
    List<Path> labels = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        String n = lower(f);
        if (n.contains("images") && n.contains("idx3")) {
          images.add(f);
        } else if (n.contains("labels") && n.contains("idx1")) {
          labels.add(f);
        }
      }
    }
    if (images.isEmpty() || labels.isEmpty()) {
      throw new DataFormatException(dir + ": expected an IDX image file (name containing 'images' and 'idx3') and an"
          + " IDX label file ('labels' and 'idx1'); found " + images.size() + " image and " + labels.size()
          + " label files");
    }
    if (images.size() == 1 && labels.size() == 1) {
      return new IdxDirectory(new Pair("", images.get(0), labels.get(0)), Optional.empty());
    }
    Pair train = null;
    Pair test = null;
    for (Path img : images) {
      String prefix = lower(img).substring(0, lower(img).indexOf("images"));
      Path lab = labels.stream().filter(l -> lower(l).startsWith(prefix + "labels")).findFirst()
          .orElseThrow(() -> new DataFormatException(dir + ": no label file for " + img.getFileName()
              + " (expected a name starting with '" + prefix + "labels')"));
      boolean isTest = prefix.contains("t10k") || prefix.contains("test");
      if (isTest ? test != null : train != null) {
        throw new DataFormatException(dir + ": more than one " + (isTest ? "test" : "training")
            + " IDX image file; keep one training pair and at most one test pair (t10k/test) in the folder");
      }
      Pair p = new Pair(prefix, img, lab);
      if (isTest) {
        test = p;
      } else {
        train = p;
      }
    }
    if (train == null) {
      throw new DataFormatException(dir + ": only test IDX files (t10k/test) found, no training pair");
    }
    return new IdxDirectory(train, Optional.ofNullable(test));
  }

  private static String lower(Path f) {
    return f.getFileName().toString().toLowerCase(Locale.ROOT);
  }
}
