package dev.starling.data;

import dev.starling.core.error.Checks;
import dev.starling.core.learner.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Turns a text into a character-level next-token {@link Dataset}: the vocabulary is the text's distinct
 * characters in code-point order; each position {@code i >= context} is one row whose features are the
 * previous {@code context} characters, one-hot ({@code context * V} features, oldest first) and whose label is
 * the character at {@code i}. A small fixed-window model, not a recurrent one. Stateless.
 */
public final class TextCorpus {
  private TextCorpus() {}

  /**
   * The next-character dataset of {@code text} ({@code lowercase}: folded to lower case first) with a window of
   * {@code context} characters. Throws {@link IllegalArgumentException} if the text is not longer than the
   * window or has fewer than 2 distinct characters.
   */
  public static Dataset nextCharacter(String text, int context, boolean lowercase, String name) {
    Objects.requireNonNull(text, "text");
    Checks.checkPositive(context, "context");
    String t = lowercase ? text.toLowerCase(Locale.ROOT) : text;
    int[] cps = t.codePoints().toArray();
    Checks.checkArgument(cps.length > context, "text length in characters", "> context = " + context, cps.length);
    TreeSet<Integer> distinct = new TreeSet<>();
    for (int cp : cps) {
      distinct.add(cp);
    }
    int v = distinct.size();
    Checks.checkArgument(v >= 2, "distinct characters", ">= 2", v);
    int[] vocab = distinct.stream().mapToInt(Integer::intValue).toArray();
    int[] ids = new int[cps.length];
    for (int i = 0; i < cps.length; i++) {
      ids[i] = java.util.Arrays.binarySearch(vocab, cps[i]);
    }
    int rows = cps.length - context;
    int width = context * v;
    float[] x = new float[Math.multiplyExact(rows, width)];
    int[] y = new int[rows];
    for (int r = 0; r < rows; r++) {
      for (int k = 0; k < context; k++) {
        x[r * width + k * v + ids[r + k]] = 1f;
      }
      y[r] = ids[r + context];
    }
    List<String> classNames = new ArrayList<>(v);
    for (int cp : vocab) {
      classNames.add(display(cp));
    }
    List<String> featureNames = new ArrayList<>(width);
    for (int k = 0; k < context; k++) {
      for (String c : classNames) {
        featureNames.add("t-" + (context - k) + "=" + c);
      }
    }
    return Dataset.builder().name(name).features(x).labels(y).numFeatures(width).numClasses(v)
        .featureNames(featureNames).classNames(classNames).task(Task.NEXT_TOKEN).build();
  }

  /** A character as a class name: itself, or an escape for whitespace and control characters. */
  static String display(int cp) {
    return switch (cp) {
      case '\n' -> "\\n";
      case '\t' -> "\\t";
      case ' ' -> "space";
      default -> Character.isISOControl(cp) ? String.format(Locale.ROOT, "U+%04X", cp) : Character.toString(cp);
    };
  }

  /** The first {@code 1 - testFraction} of the rows (in text order) as train, the rest as test. */
  static LoadedData split(Dataset d, double testFraction, String source) {
    int n = d.size();
    int test = (int) Math.round(n * testFraction);
    int[] trainRows = java.util.stream.IntStream.range(0, n - test).toArray();
    int[] testRows = java.util.stream.IntStream.range(n - test, n).toArray();
    Dataset train = d.subset(trainRows).withName(d.name() + " (train)");
    Dataset held = d.subset(testRows).withName(d.name() + " (test)");
    String desc = String.format(Locale.ROOT, "%s: %d characters of context, vocabulary %d, next-token; last %s of the"
        + " text as test: %d train / %d test", source, d.numFeatures() / d.numClasses(), d.numClasses(), testFraction,
        train.size(), held.size());
    return new LoadedData(train, held, desc);
  }
}
