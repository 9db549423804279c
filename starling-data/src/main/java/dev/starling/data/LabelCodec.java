package dev.starling.data;

import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * Maps label strings to {@code 0..K-1}: integer labels by numeric order (so {@code 0..K-1} stay as they are),
 * other labels by sorted string order. The class names are the label strings.
 */
record LabelCodec(long[] integers, String[] strings) {

  static LabelCodec fit(RawTable t, int c, int[] kept) throws DataFormatException {
    TreeSet<String> distinct = TableEncoder.distinct(t, c, kept);
    String[] strings = distinct.toArray(String[]::new);
    long[] ints = new long[strings.length];
    boolean allInts = true;
    for (int i = 0; i < strings.length && allInts; i++) {
      try {
        ints[i] = Long.parseLong(strings[i]);
      } catch (NumberFormatException e) {
        allInts = false;
      }
    }
    LabelCodec codec;
    if (allInts) {
      Arrays.sort(ints);
      int k = 0;
      for (int i = 0; i < ints.length; i++) {
        if (i == 0 || ints[i] != ints[i - 1]) {
          ints[k++] = ints[i];
        }
      }
      codec = new LabelCodec(Arrays.copyOf(ints, k), null);
    } else {
      codec = new LabelCodec(null, strings);
    }
    if (codec.numClasses() < 2) {
      throw new DataFormatException(t.source() + ", column '" + t.columns().get(c) + "': the label has a single class ('"
          + strings[0] + "'); a classifier needs at least 2 (is this the right --label column?)");
    }
    return codec;
  }

  int numClasses() {
    return integers != null ? integers.length : strings.length;
  }

  List<String> classNames() {
    if (strings != null) {
      return List.of(strings);
    }
    String[] names = new String[integers.length];
    for (int i = 0; i < names.length; i++) {
      names[i] = Long.toString(integers[i]);
    }
    return List.of(names);
  }

  int[] encode(RawTable t, int c, int[] kept) {
    int[] y = new int[kept.length];
    for (int i = 0; i < kept.length; i++) {
      String v = t.rows().get(kept[i])[c];
      y[i] = integers != null ? Arrays.binarySearch(integers, Long.parseLong(v)) : Arrays.binarySearch(strings, v);
    }
    return y;
  }
}
