package dev.starling.core.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ClientIdTest {
  @Test
  void ofIndex_matchesTheZeroPaddedFormat() {
    for (int i : new int[] {0, 7, 42, 999_999, 1_000_000, 123_456_789, Integer.MAX_VALUE}) {
      assertThat(ClientId.ofIndex(i).value()).isEqualTo(String.format("c%06d", i));
    }
    assertThat(ClientId.ofIndex(9).compareTo(ClientId.ofIndex(10))).isNegative();
    assertThatThrownBy(() -> ClientId.ofIndex(-1)).hasMessageContaining("client index");
  }
}
