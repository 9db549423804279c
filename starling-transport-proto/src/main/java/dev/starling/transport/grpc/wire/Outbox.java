package dev.starling.transport.grpc.wire;

import io.grpc.stub.CallStreamObserver;
import java.util.Iterator;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The single writer of one gRPC stream. Messages and lazy message sequences (a model's chunks) are
 * queued and written by one thread that waits while the transport is not ready, so a large payload is
 * produced chunk by chunk at the speed the peer reads it instead of piling up in Netty's buffers.
 * Thread-safe: any thread may {@link #send}.
 *
 * @param <T> the stream's message type
 */
public final class Outbox<T> implements AutoCloseable {
  private final CallStreamObserver<T> stream;
  private final Function<T, Integer> sizeOf;
  private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final AtomicLong bytes = new AtomicLong();
  private final Thread writer;
  private volatile Thread wakee; // the writer, for the on-ready handler (set before it starts)
  private volatile boolean closed;
  private volatile ByteLane lane; // where trailers go (see sendTrailed)
  private volatile java.util.function.Consumer<java.io.IOException> laneFailed;

  /**
   * A message whose {@code trailer} bytes follow on the session's {@link ByteLane} once the message is written
   * (a chunk announcing {@code lane_bytes}).
   */
  public record Trailed<T>(T message, ByteLane.Trailer trailer) {}

  /**
   * Must be created before the stream starts (it installs the on-ready handler). The writer is a virtual
   * thread named {@code name}, so a server with thousands of streams holds thousands of cheap writers.
   */
  public Outbox(CallStreamObserver<T> stream, Function<T, Integer> sizeOf, String name) {
    this(stream, sizeOf, Thread.ofVirtual().name(name));
  }

  /**
   * As above, the writer made by {@code writerThread} (a client with its one stream uses a platform thread,
   * whose CPU time a profile or {@code bench transport} can tell apart from the server's virtual writers).
   */
  public Outbox(CallStreamObserver<T> stream, Function<T, Integer> sizeOf, Thread.Builder writerThread) {
    this.stream = stream;
    this.sizeOf = sizeOf;
    // the transport's thread only unparks the writer (no lock it could contend for); a wake-up that comes
    // before the writer parks is kept as the thread's permit, so none is lost
    stream.setOnReadyHandler(() -> {
      Thread w = wakee;
      if (w != null) {
        LockSupport.unpark(w);
      }
    });
    this.writer = writerThread.unstarted(this::drain);
    wakee = writer;
    writer.start();
  }

  /** Queues one message. */
  public void send(T message) {
    if (!closed) {
      queue.add(message);
    }
  }

  /** Queues a sequence produced lazily while writing. */
  public void sendAll(Iterator<T> messages) {
    if (!closed) {
      queue.add(messages);
    }
  }

  /**
   * Sends trailers on {@code lane} from now on; {@code failed} hears (once, on the writer thread) if a write to it
   * fails, after which this outbox is closed.
   */
  public void useLane(ByteLane lane, java.util.function.Consumer<java.io.IOException> failed) {
    this.laneFailed = failed;
    this.lane = lane;
  }

  /**
   * Queues a sequence of messages with trailers produced lazily while writing: each message is written to the
   * stream, then its trailer (if not empty) to the lane set by {@link #useLane}, so the receiver, reading the lane
   * right after each message, finds the bytes in order.
   */
  public void sendTrailed(Iterator<Trailed<T>> messages) {
    if (!closed) {
      queue.add(new TrailedRun<>(messages));
    }
  }

  private record TrailedRun<T>(Iterator<Trailed<T>> items) {}

  /** Queues a callback run by the writer thread after everything queued before it was written. */
  public void then(Runnable action) {
    if (!closed) {
      queue.add(action);
    }
  }

  /** Serialized bytes written so far (protobuf payloads, without HTTP/2 framing). */
  public long bytesWritten() {
    return bytes.get();
  }

  @SuppressWarnings("unchecked")
  private void drain() {
    try {
      while (!closed) {
        Object item = queue.poll(200, TimeUnit.MILLISECONDS);
        if (item == null) {
          continue;
        }
        if (item instanceof Iterator<?> it) {
          while (!closed && it.hasNext()) {
            write((T) it.next());
          }
        } else if (item instanceof TrailedRun<?> run) {
          Iterator<Trailed<T>> it = ((TrailedRun<T>) run).items();
          while (!closed && it.hasNext()) {
            Trailed<T> t = it.next();
            write(t.message());
            if (!closed && t.trailer().size() > 0) {
              try {
                t.trailer().writeTo(lane);
              } catch (java.io.IOException e) {
                closed = true;
                laneFailed.accept(e);
              }
            }
          }
        } else if (item instanceof Runnable r) {
          r.run();
        } else {
          write((T) item);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      closed = true; // the stream was cancelled under us; the reader side reports the failure
    }
  }

  private void write(T m) throws InterruptedException {
    while (!closed && !stream.isReady()) {
      LockSupport.parkNanos(this, 100_000_000L); // unparked by the on-ready handler (or closed, interrupted)
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
    if (closed) {
      return;
    }
    synchronized (stream) {
      stream.onNext(m);
    }
    bytes.addAndGet(sizeOf.apply(m));
  }

  /** Completes the stream after the queued messages, from the writer thread. */
  public void completeAfterQueued() {
    then(() -> {
      synchronized (stream) {
        stream.onCompleted();
      }
      closed = true;
    });
  }

  /** Stops writing; queued messages are dropped. */
  @Override
  public void close() {
    closed = true;
    queue.clear();
    writer.interrupt();
  }
}
