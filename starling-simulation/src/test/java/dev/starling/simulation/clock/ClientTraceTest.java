package dev.starling.simulation.clock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.data.DataFormatException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClientTraceTest {
  private static final List<String> IDS = List.of("c000000", "c000001", "c000002");

  private static ClientTrace parse(String text) throws IOException {
    return ClientTrace.read(new StringReader(text), "t.csv");
  }

  /** The documented format's example (test resource trace/clients.csv, the same as in the README). */
  @Test
  void goldenTrace_readsEveryField() throws IOException {
    ClientTrace t;
    try (Reader r = new InputStreamReader(ClientTraceTest.class.getResourceAsStream("/trace/clients.csv"),
        StandardCharsets.UTF_8)) {
      t = ClientTrace.read(r, "clients.csv");
    }
    ClientTrace.Row[] rows = t.forClients(IDS);
    assertThat(rows[0].profile()).isEqualTo(new ClientProfile(120.5, 10e6, 0.05));
    assertThat(rows[0].availability()).isSameAs(Availability.ALWAYS);
    assertThat(rows[1].client()).isEqualTo("c000001");
    assertThat(rows[1].line()).isEqualTo(3);
    assertThat(rows[1].profile()).isEqualTo(new ClientProfile(80, 2.5e6, 0.1));
    assertThat(rows[1].availability()).hasToString("0.0-300.0;600.0-900.0");
    assertThat(rows[2].profile()).isEqualTo(new ClientProfile(1000, 100e6, 0));
    assertThat(rows[2].availability()).hasToString("10.5-20.0");
    assertThat(t.hasWindows()).isTrue();
    assertThat(t.describe()).isEqualTo("trace clients.csv (3 clients, availability windows)");
  }

  @Test
  void availability_isHalfOpenWindows_andNextFindsTheNextStart() throws IOException {
    Availability a = parse("client,speed,bandwidth,latency,availability\n0,1,1,0,0-300;600-900\n").rows().get(0)
        .availability();
    assertThat(a.at(0)).isTrue();
    assertThat(a.at(299.9)).isTrue();
    assertThat(a.at(300)).isFalse();
    assertThat(a.next(300)).isEqualTo(600);
    assertThat(a.next(450)).isEqualTo(600);
    assertThat(a.at(600)).isTrue();
    assertThat(a.next(700)).isEqualTo(700);
    assertThat(a.at(900)).isFalse();
    assertThat(a.next(900)).isEqualTo(Double.POSITIVE_INFINITY);
  }

  @Test
  void errorsNameTheFileLineAndColumn() {
    String h = "client,speed,bandwidth,latency,availability\n";
    assertThatThrownBy(() -> parse(h + "0,10,1,0,\n1,fast,1,0,\n")).isInstanceOf(DataFormatException.class)
        .hasMessage("t.csv line 3, column 'speed': not a finite number: 'fast'");
    assertThatThrownBy(() -> parse(h + "0,10,0,0,\n"))
        .hasMessage("t.csv line 2, column 'bandwidth': must be > 0 MB/s, found 0");
    assertThatThrownBy(() -> parse(h + "0,10,1,-1,\n"))
        .hasMessage("t.csv line 2, column 'latency': must be >= 0 s, found -1");
    assertThatThrownBy(() -> parse(h + "0,10,1,0,0-50;40-60\n"))
        .hasMessage("t.csv line 2, column 'availability': window 2 '40-60' starts before window 1 ends; list windows in"
            + " ascending order without overlaps");
    assertThatThrownBy(() -> parse(h + "0,10,1,0,5-5\n"))
        .hasMessage("t.csv line 2, column 'availability': window 1 '5-5' needs 0 <= START < END");
    assertThatThrownBy(() -> parse(h + "0,10,1,0,always\n"))
        .hasMessage("t.csv line 2, column 'availability': window 1 'always' is not START-END (simulated seconds)");
    assertThatThrownBy(() -> parse(h + "0,10,1\n"))
        .hasMessage("t.csv line 2: expected 5 fields (as in the header) but found 3");
    assertThatThrownBy(() -> parse("id,speed\n0,1\n")).hasMessageStartingWith("t.csv line 1: the header must be"
        + " client,speed,bandwidth,latency,availability");
    assertThatThrownBy(() -> parse("")).hasMessage("t.csv: empty file (no header line)");
  }

  @Test
  void everyClientNeedsExactlyOneRow() {
    String h = "client,speed,bandwidth,latency,availability\n";
    assertThatThrownBy(() -> parse(h + "0,1,1,0,\n7,1,1,0,\n").forClients(IDS))
        .hasMessageStartingWith("t.csv line 3, column 'client': no client '7' in this run of 3 clients");
    assertThatThrownBy(() -> parse(h + "0,1,1,0,\nc000000,1,1,0,\n").forClients(IDS))
        .hasMessage("t.csv line 3, column 'client': client c000000 (index 0) already has a row, at line 2");
    assertThatThrownBy(() -> parse(h + "1,1,1,0,\n").forClients(IDS))
        .hasMessage("t.csv: no row for 2 of the 3 clients (indices [0, 2]); every client needs one");
  }
}
