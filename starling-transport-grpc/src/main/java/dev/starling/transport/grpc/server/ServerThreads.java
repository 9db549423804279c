package dev.starling.transport.grpc.server;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The federation server's own threads, instead of the event loops and callback pool gRPC shares with
 * every channel and server in the process: {@code starling-server-accept}, {@code starling-server-netty-N}
 * (HTTP/2 and socket I/O; epoll where available, else NIO) and {@code starling-server-grpc-N} (stream
 * callbacks: parsing and checking inbound messages, which may block while an update waits for an upload
 * slot). Named threads make the server's cost visible in a thread dump or profile, and keep it apart from
 * clients running in the same JVM ({@code bench transport} counts CPU by thread name). One set per
 * {@link FederationServer#start()}, shut down by {@link FederationServer#close()}.
 */
final class ServerThreads {
  private static final boolean EPOLL = Epoll.isAvailable();

  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final ExecutorService callbacks;

  ServerThreads() {
    ThreadFactory accept = new DefaultThreadFactory("starling-server-accept", true);
    ThreadFactory io = new DefaultThreadFactory("starling-server-netty", true);
    // 0 threads: Netty's default, twice the available processors, as gRPC's shared group
    boss = EPOLL ? new EpollEventLoopGroup(1, accept) : new NioEventLoopGroup(1, accept);
    workers = EPOLL ? new EpollEventLoopGroup(0, io) : new NioEventLoopGroup(0, io);
    AtomicInteger n = new AtomicInteger();
    callbacks = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "starling-server-grpc-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** Makes {@code b} use these threads. */
  NettyServerBuilder apply(NettyServerBuilder b) {
    return b.bossEventLoopGroup(boss).workerEventLoopGroup(workers)
        .channelType(EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class).executor(callbacks);
  }

  /** Stops the threads (after the gRPC server has shut down). */
  void shutdown() {
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    callbacks.shutdownNow();
  }
}
