package dev.starling.ledger;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;

/** Bytes that are not a block (or a ledger file) in the canonical format; names the field and offset. */
public final class LedgerFormatException extends FlException {
  private final String field;
  private final long offset;

  public LedgerFormatException(String field, long offset, String message) {
    super(ErrorCode.INVALID_ARGUMENT, "field " + field + " at byte " + offset + ": " + message);
    this.field = field;
    this.offset = offset;
  }

  /** The field being read when the bytes stopped making sense. */
  public String field() {
    return field;
  }

  /** Byte offset of that field within the block (or file). */
  public long offset() {
    return offset;
  }
}
