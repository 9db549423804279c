package dev.starling.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The floor under {@code bench transport}'s gRPC row: the same bytes per round (every client downloads the
 * model's bytes and uploads as many back) over plain TCP sockets on loopback, with no framing, no parsing and
 * no copy out of the socket buffers. The server is one thread with a selector over non-blocking channels
 * ({@code starling-server-rawtcp}); each client is a thread with a blocking channel
 * ({@code starling-client-rawtcp-N}). Whatever CPU this takes, the kernel's loopback TCP takes from any
 * transport on this machine: it bounds what the gRPC path can reach.
 */
final class RawTcpFloor {
  /** Round time and CPU per round, as {@code bench transport} reports them. */
  record Result(double roundMs, double serverCpuMs, double clientCpuMs, long bytesUp, long bytesDown) {}

  private RawTcpFloor() {}

  static Result measure(int clients, long bytesPerClient, int rounds) throws IOException, InterruptedException {
    if (bytesPerClient > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("at most 2 GiB per client");
    }
    int n = (int) bytesPerClient;
    ByteBuffer model = ByteBuffer.allocateDirect(n);
    for (int i = 0; i < n; i++) {
      model.put(i, (byte) i);
    }
    LongAdder clientCpu = new LongAdder();
    try (ServerSocketChannel listen = ServerSocketChannel.open(); Selector selector = Selector.open()) {
      listen.bind(new InetSocketAddress("127.0.0.1", 0));
      int port = ((InetSocketAddress) listen.getLocalAddress()).getPort();
      List<Thread> threads = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        Thread t = Thread.ofPlatform().daemon().name(ThreadCpu.CLIENT_PREFIX + "-rawtcp-" + c)
            .start(() -> client(port, model.asReadOnlyBuffer(), n, rounds + 1, clientCpu));
        threads.add(t);
      }
      List<SocketChannel> conns = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        SocketChannel ch = listen.accept();
        ch.configureBlocking(false);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        conns.add(ch);
      }
      long[] out = new long[3];
      Thread server = Thread.ofPlatform().name("starling-server-rawtcp").start(() -> {
        try {
          ByteBuffer scratch = ByteBuffer.allocateDirect(1 << 20);
          serveRound(selector, conns, model, n, scratch); // warm-up
          long cpu0 = ThreadCpu.nanos(name -> name.equals("starling-server-rawtcp"));
          long t0 = System.nanoTime();
          for (int r = 0; r < rounds; r++) {
            serveRound(selector, conns, model, n, scratch);
          }
          out[0] = System.nanoTime() - t0;
          out[1] = ThreadCpu.nanos(name -> name.equals("starling-server-rawtcp")) - cpu0;
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      server.join();
      for (SocketChannel ch : conns) {
        ch.close();
      }
      for (Thread t : threads) {
        t.join(10_000);
      }
      long bytes = (long) clients * n;
      return new Result(out[0] / 1e6 / rounds, out[1] / 1e6 / rounds, clientCpu.sum() / 1e6 / rounds, bytes, bytes);
    }
  }

  /** Sends the model to every client, then takes {@code n} bytes back from each. */
  private static void serveRound(Selector selector, List<SocketChannel> conns, ByteBuffer model, int n, ByteBuffer scratch)
      throws IOException {
    int[] left = new int[conns.size()];
    ByteBuffer[] sending = new ByteBuffer[conns.size()];
    for (int i = 0; i < conns.size(); i++) {
      sending[i] = model.asReadOnlyBuffer().clear();
      left[i] = n;
      conns.get(i).register(selector, SelectionKey.OP_WRITE | SelectionKey.OP_READ, i);
    }
    int done = 0;
    while (done < conns.size()) {
      selector.select();
      for (SelectionKey k : selector.selectedKeys()) {
        int i = (Integer) k.attachment();
        SocketChannel ch = conns.get(i);
        if (k.isValid() && k.isWritable()) {
          ch.write(sending[i]);
          if (!sending[i].hasRemaining()) {
            k.interestOps(SelectionKey.OP_READ);
          }
        }
        if (k.isValid() && k.isReadable()) {
          scratch.clear().limit(Math.min(scratch.capacity(), left[i]));
          int got = ch.read(scratch);
          if (got < 0) {
            throw new IOException("client " + i + " closed mid-round");
          }
          left[i] -= got;
          if (left[i] == 0) {
            done++;
            k.interestOps(0);
          }
        }
      }
      selector.selectedKeys().clear();
    }
  }

  /**
   * A client: read the model, send as many bytes back, {@code rounds} times; adds its CPU time after the
   * first (warm-up) round to {@code cpu}.
   */
  private static void client(int port, ByteBuffer update, int n, int rounds, LongAdder cpu) {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    long warm = 0;
    try (SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      ByteBuffer in = ByteBuffer.allocateDirect(1 << 20);
      for (int r = 0; r < rounds; r++) {
        for (int got = 0; got < n; ) {
          in.clear().limit(Math.min(in.capacity(), n - got));
          int k = ch.read(in);
          if (k < 0) {
            return;
          }
          got += k;
        }
        ByteBuffer b = update.duplicate().clear();
        while (b.hasRemaining()) {
          ch.write(b);
        }
        if (r == 0) {
          warm = mx.getCurrentThreadCpuTime();
        }
      }
      cpu.add(mx.getCurrentThreadCpuTime() - warm);
      // stay alive (and counted) until the server has measured and closes the connection
      while (ch.read(in.clear()) >= 0) {
        // nothing more is sent
      }
    } catch (IOException e) {
      // the server closed the connections after the last round
    }
  }
}
