package dev.starling.compression.entropy;

import dev.starling.core.error.Checks;

/**
 * Lossless entropy stage: Zstandard (RFC 8878) through zstd-jni, the JNI binding of the reference C
 * library, which ships the native code for the common platforms inside its jar. Frames record their
 * content size, so decompression allocates exactly once. Immutable.
 */
public final class Zstd {
  /** The default level: 3, zstd's own default (fast, most of the ratio). */
  public static final int DEFAULT_LEVEL = 3;

  private final int level;

  public Zstd(int level) {
    Checks.checkArgument(level >= 1 && level <= 22, "zstd level", "in [1, 22]", level);
    this.level = level;
  }

  public int level() {
    return level;
  }

  public String describe() {
    return level == DEFAULT_LEVEL ? "zstd" : "zstd:" + level;
  }

  public byte[] compress(byte[] in) {
    return com.github.luben.zstd.Zstd.compress(in, level);
  }

  /** Decompresses a frame from {@link #compress}; {@code maxSize} bounds the declared content size. */
  public static byte[] decompress(byte[] in, int offset, long maxSize) {
    long size;
    try {
      size = com.github.luben.zstd.Zstd.getFrameContentSize(in, offset, in.length - offset);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed zstd frame: " + e.getMessage(), e);
    }
    if (size < 0 || size > maxSize) {
      throw new IllegalArgumentException("malformed zstd frame: declared content size " + size
          + " (allowed 0.." + maxSize + ")");
    }
    byte[] out = new byte[(int) size];
    try {
      long n = com.github.luben.zstd.Zstd.decompressByteArray(out, 0, out.length, in, offset, in.length - offset);
      if (n != size) {
        throw new IllegalArgumentException("zstd frame decoded to " + n + " bytes, declared " + size);
      }
    } catch (com.github.luben.zstd.ZstdException e) {
      throw new IllegalArgumentException("malformed zstd frame: " + e.getMessage(), e);
    }
    return out;
  }
}
