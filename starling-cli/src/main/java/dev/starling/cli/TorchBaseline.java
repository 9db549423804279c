package dev.starling.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * PyTorch itself as the baseline of {@code bench deep}'s throughput row: runs the bundled
 * {@code torch_cnn_baseline.py} (the same CNN, SGD step and thread count) with the first Python 3 that imports
 * {@code torch} ({@code python3} on the PATH, then Debian's {@code /usr/bin/python3}, where {@code python3-torch}
 * installs it). Absent or failing, the result says why instead of a number.
 */
final class TorchBaseline {
  private static final List<String> PYTHONS = List.of("python3", "/usr/bin/python3");
  private static final long TIMEOUT_MINUTES = 10;

  private final Map<Integer, Double> samplesPerSecond;
  private final String version;
  private final String why;

  private TorchBaseline(Map<Integer, Double> samplesPerSecond, String version, String why) {
    this.samplesPerSecond = samplesPerSecond;
    this.version = version;
    this.why = why;
  }

  /** Runs the script on {@code n} random examples for each batch size; never throws for a missing Python. */
  static TorchBaseline run(int n, int[] batches) {
    String python = PYTHONS.stream().filter(TorchBaseline::importsTorch).findFirst().orElse(null);
    if (python == null) {
      return new TorchBaseline(Map.of(), "", "n/a: no python3 with torch");
    }
    List<String> cmd = new ArrayList<>(List.of(python, "-", Integer.toString(n)));
    for (int b : batches) {
      cmd.add(Integer.toString(b));
    }
    try (InputStream script = TorchBaseline.class.getResourceAsStream("torch_cnn_baseline.py")) {
      if (script == null) {
        return new TorchBaseline(Map.of(), "", "n/a: torch_cnn_baseline.py missing from the jar");
      }
      Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      try (OutputStream stdin = p.getOutputStream()) {
        script.transferTo(stdin);
      }
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        return new TorchBaseline(Map.of(), "", "n/a: timed out");
      }
      if (p.exitValue() != 0) {
        return new TorchBaseline(Map.of(), "", "n/a: script exit " + p.exitValue());
      }
      Map<Integer, Double> rates = new HashMap<>();
      String version = "";
      for (String line : output.split("\\R")) {
        String[] f = line.trim().split("\\s+");
        if (f.length == 2 && f[0].equals("torch")) {
          version = f[1];
        } else if (f.length == 2) {
          rates.put(Integer.parseInt(f[0]), Double.parseDouble(f[1]));
        }
      }
      return new TorchBaseline(rates, version, "n/a");
    } catch (IOException | NumberFormatException e) {
      return new TorchBaseline(Map.of(), "", "n/a: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new TorchBaseline(Map.of(), "", "n/a: interrupted");
    }
  }

  private static boolean importsTorch(String python) {
    try {
      Process p = new ProcessBuilder(python, "-c", "import torch").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(1, TimeUnit.MINUTES) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Column header: the PyTorch version measured. */
  String header() {
    return version.isEmpty() ? "PyTorch samples/s" : "PyTorch " + version + " samples/s";
  }

  /** Samples per second at {@code batch}, or NaN when not measured. */
  double samplesPerSecond(int batch) {
    return samplesPerSecond.getOrDefault(batch, Double.NaN);
  }

  /** Why there is no number. */
  String why() {
    return why;
  }
}
