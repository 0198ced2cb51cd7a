package org.rewindmq.dms;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A rewindmq process (the binary named by the system property rewindmq.binary) on 127.0.0.1
 * with port 0 and its own temporary data directory. {@link #start} returns once GET /healthz
 * answers 200; {@link #stop} sends SIGTERM and requires exit code 0.
 */
final class Server implements AutoCloseable {
  private static final boolean SLOW = System.getenv("RMQ_SANITIZED") != null;
  private static final Duration START_TIMEOUT = Duration.ofSeconds(SLOW ? 90 : 30);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(SLOW ? 60 : 30);
  private static final Pattern STARTUP_LINE =
      Pattern.compile("(?m)^rewindmq listening on 127\\.0\\.0\\.1:(\\d+), data in (.*)$");

  private final Process process;
  private final Path scratch;
  private final Path stdout;
  private final Path stderr;
  private final int port;

  private Server(Process process, Path scratch, int port) {
    this.process = process;
    this.scratch = scratch;
    this.stdout = scratch.resolve("stdout.log");
    this.stderr = scratch.resolve("stderr.log");
    this.port = port;
  }

  /** Starts the server; `credentials` is the --dms-credentials value, "" for open mode. */
  static Server start(String credentials) throws Exception {
    String binary = System.getProperty("rewindmq.binary", "");
    if (binary.isEmpty() || !Files.isExecutable(Path.of(binary))) {
      throw new IllegalStateException("the system property rewindmq.binary must name the rewindmq"
          + " binary (got '" + binary + "'); run.sh passes it, ctest runs run.sh");
    }
    Path scratch = Files.createTempDirectory("rewindmq-dms-sdk-java-");
    Path dataDir = scratch.resolve("data");
    Path out = scratch.resolve("stdout.log");
    Path err = scratch.resolve("stderr.log");
    Process p = new ProcessBuilder(binary, "--listen", "127.0.0.1:0",
            "--remoting-listen", "127.0.0.1:0", "--data-dir", dataDir.toString(),
            "--worker-threads", "4", "--dms-credentials=" + credentials)
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
        .redirectOutput(out.toFile())
        .redirectError(err.toFile())
        .start();
    try {
      int port = waitUntilReady(p, out, err, dataDir);
      return new Server(p, scratch, port);
    } catch (Exception | Error e) {
      p.destroyForcibly().waitFor();
      throw e;
    }
  }

  String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  private static int waitUntilReady(Process p, Path out, Path err, Path dataDir)
      throws Exception {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    int port = -1;
    while (true) {
      if (!p.isAlive()) {
        throw new IllegalStateException(
            "rewindmq exited with " + p.exitValue() + "\n" + logs(out, err));
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "rewindmq not ready within " + START_TIMEOUT + "\n" + logs(out, err));
      }
      if (port < 0) {
        Matcher m = STARTUP_LINE.matcher(Files.readString(out, StandardCharsets.UTF_8));
        if (m.find()) {
          if (!m.group(2).equals(dataDir.toString())) {
            throw new IllegalStateException("startup line names " + m.group(2) + ", not " + dataDir);
          }
          port = Integer.parseInt(m.group(1));
        }
      }
      if (port >= 0) {
        try {
          HttpResponse<Void> r = http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz"))
                  .timeout(Duration.ofSeconds(2)).build(),
              HttpResponse.BodyHandlers.discarding());
          if (r.statusCode() == 200) {
            return port;
          }
        } catch (IOException notListeningYet) {
          // retried until the deadline
        }
      }
      Thread.sleep(50);
    }
  }

  private static String logs(Path out, Path err) {
    return "stdout:\n" + tail(out) + "\nstderr:\n" + tail(err);
  }

  private static String tail(Path file) {
    try {
      String s = Files.readString(file, StandardCharsets.UTF_8);
      return s.length() > 65536 ? s.substring(s.length() - 65536) : s;
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  /** SIGTERM, then waits for the exit; throws unless it exits with code 0 in time. */
  void stop() throws Exception {
    if (process.isAlive()) {
      process.destroy();  // SIGTERM
      if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
        throw new AssertionError(
            "rewindmq still running " + STOP_TIMEOUT + " after SIGTERM\n" + logs(stdout, stderr));
      }
    }
    int code = process.exitValue();
    String logs = logs(stdout, stderr);
    try (Stream<Path> files = Files.walk(scratch)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
    if (code != 0) {
      throw new AssertionError("rewindmq exited with " + code + "\n" + logs);
    }
  }

  @Override
  public void close() throws Exception {
    stop();
  }
}
