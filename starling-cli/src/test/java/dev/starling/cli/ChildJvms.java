package dev.starling.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Real {@code starling} processes for deployment tests: each a child JVM on this test's class path
 * (small heap, C1 only, so several start quickly on two cores), its output in {@code NAME.log} under a
 * directory. {@link #close()} kills every one still running.
 */
final class ChildJvms implements AutoCloseable {
  private final Path dir;
  private final List<String> jvmOptions;
  private final List<Process> processes = new ArrayList<>();

  ChildJvms(Path dir, String... jvmOptions) {
    this.dir = dir;
    this.jvmOptions = List.of(jvmOptions);
  }

  /** Starts {@code starling args...} with its output in {@code name.log}. */
  Process start(String name, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
    processes.add(p);
    return p;
  }

  /** What process {@code name} has printed so far ("" before it starts). */
  String log(String name) throws IOException {
    Path f = dir.resolve(name + ".log");
    return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : "";
  }

  @Override
  public void close() {
    for (Process p : processes) {
      p.destroyForcibly();
    }
  }
}
