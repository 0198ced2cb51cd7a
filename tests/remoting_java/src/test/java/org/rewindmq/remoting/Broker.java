package org.rewindmq.remoting;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One rewindmq server process on 127.0.0.1 with its own data directory, and a
 * small client of its DMS REST API.
 *
 * <p>The binary comes from the system property {@code rewindmq.binary}
 * (run.sh sets it). The server's output goes to
 * {@code ${rmq.build.dir}/broker-logs/NAME-N.log}.
 */
final class Broker implements AutoCloseable {
  static final String INSTANCE = "00000000-0000-4000-8000-000000000001";
  private static final Pattern HTTP_LINE =
      Pattern.compile("rewindmq listening on ([0-9.]+):(\\d+)");
  private static final Pattern REMOTING_LINE =
      Pattern.compile("rewindmq remoting listening on ([0-9.]+):(\\d+)");
  private static final AtomicInteger STARTS = new AtomicInteger();
  /** 20 s; 60 s under the sanitizers (tools/dev.sh asan sets RMQ_SANITIZED=1). */
  private static final Duration START_TIMEOUT =
      Duration.ofSeconds("1".equals(System.getenv("RMQ_SANITIZED")) ? 60 : 20);

  private final String name;
  private final Path binary;
  private final Path dataDir;
  private final HttpClient http;
  private Process process;
  private Thread reader;
  private volatile int httpPort;
  private volatile int remotingPort;
  private Path logFile;

  private Broker(String name, Path binary, Path dataDir) {
    this.name = name;
    this.binary = binary;
    this.dataDir = dataDir;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  /** Starts a server on free ports with a fresh data directory. */
  static Broker start(String name) throws Exception {
    String bin = System.getProperty("rewindmq.binary", "");
    if (bin.isEmpty()) {
      throw new IllegalStateException(
          "system property rewindmq.binary is not set: run the suite through run.sh --binary PATH");
    }
    Path binary = Paths.get(bin).toAbsolutePath();
    if (!Files.isExecutable(binary)) {
      throw new IllegalStateException("rewindmq binary not executable: " + binary);
    }
    Path dir = Files.createTempDirectory("rewindmq-java-" + name + "-");
    Broker b = new Broker(name, binary, dir);
    try {
      b.launch(0, 0);
    } catch (Exception e) {
      b.close();
      throw e;
    }
    return b;
  }

  String namesrv() {
    return "127.0.0.1:" + remotingPort;
  }

  int remotingPort() {
    return remotingPort;
  }

  int httpPort() {
    return httpPort;
  }

  Path dataDir() {
    return dataDir;
  }

  Path logFile() {
    return logFile;
  }

  private void launch(int wantHttp, int wantRemoting) throws Exception {
    Path logDir = Paths.get(System.getProperty("rmq.build.dir", "target"), "broker-logs");
    Files.createDirectories(logDir);
    logFile = logDir.resolve(name + "-" + STARTS.incrementAndGet() + ".log");
    List<String> cmd = new ArrayList<>(List.of(
        binary.toString(),
        "--data-dir", dataDir.toString(),
        "--listen", "127.0.0.1:" + wantHttp,
        "--remoting-listen", "127.0.0.1:" + wantRemoting,
        "--durability", "always"));
    // For debugging only, e.g. -Drewindmq.extraArgs="--log-level debug".
    String extra = System.getProperty("rewindmq.extraArgs", "").trim();
    if (!extra.isEmpty()) {
      cmd.addAll(List.of(extra.split("\\s+")));
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    httpPort = 0;
    remotingPort = 0;
    Process p = pb.start();
    process = p;
    Object lock = new Object();
    PrintWriter out = new PrintWriter(Files.newBufferedWriter(logFile, StandardCharsets.UTF_8), true);
    out.println("# " + String.join(" ", cmd));
    reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          out.println(line);
          Matcher h = HTTP_LINE.matcher(line);
          Matcher m = REMOTING_LINE.matcher(line);
          synchronized (lock) {
            if (h.find()) {
              httpPort = Integer.parseInt(h.group(2));
            }
            if (m.find()) {
              remotingPort = Integer.parseInt(m.group(2));
            }
            lock.notifyAll();
          }
        }
      } catch (IOException ignored) {
        // process gone
      } finally {
        out.close();
      }
    }, "broker-output-" + name);
    reader.setDaemon(true);
    reader.start();

    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    synchronized (lock) {
      while ((httpPort == 0 || remotingPort == 0) && p.isAlive()) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          break;
        }
        lock.wait(Math.min(left, 200));
      }
    }
    if (httpPort == 0 || remotingPort == 0) {
      String why = p.isAlive() ? "did not print both listen lines within " + START_TIMEOUT
          : "exited with " + p.waitFor();
      p.destroyForcibly();
      throw new IllegalStateException("rewindmq " + why + " (http " + httpPort + ", remoting "
          + remotingPort + "); output in " + logFile + ":\n" + tail());
    }
    // Ready once /healthz answers 200.
    while (true) {
      try {
        HttpResponse<String> r = http.send(
            HttpRequest.newBuilder(URI.create(base() + "/healthz")).timeout(Duration.ofSeconds(2)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not yet
      }
      if (System.nanoTime() > deadline || !p.isAlive()) {
        p.destroyForcibly();
        throw new IllegalStateException("rewindmq /healthz not 200 within " + START_TIMEOUT
            + "; output in " + logFile + ":\n" + tail());
      }
      Thread.sleep(50);
    }
  }

  /** The last lines the server printed, for failure messages. */
  String tail() {
    try {
      List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }

  /** kill -9: no shutdown, no sync beyond what the server already did. */
  void kill9() throws InterruptedException {
    Process p = process;
    if (p != null) {
      p.destroyForcibly();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("rewindmq did not die after SIGKILL");
      }
      reader.join(2000);
    }
  }

  /** Starts again on the same data directory and the same two ports. */
  void restartSamePorts() throws Exception {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("still running");
    }
    int h = httpPort;
    int r = remotingPort;
    // The ports were just released; a bind may race with the kernel for a moment.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (true) {
      try {
        launch(h, r);
        break;
      } catch (IllegalStateException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(500);
      }
    }
    if (httpPort != h || remotingPort != r) {
      throw new IllegalStateException("restarted on other ports: " + httpPort + "/" + remotingPort);
    }
  }

  /** SIGTERM, wait, then SIGKILL if needed; removes the data directory. */
  @Override
  public void close() {
    Process p = process;
    if (p != null && p.isAlive()) {
      p.destroy();
      try {
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    try (Stream<Path> walk = Files.walk(dataDir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException ignored) {
      // best effort
    }
  }

  /** Exit code after close(), or null while running. */
  Integer exitCode() {
    Process p = process;
    return p == null || p.isAlive() ? null : p.exitValue();
  }

  // ---------------------------------------------------------------- REST

  String base() {
    return "http://127.0.0.1:" + httpPort;
  }

  private String instancePath() {
    return base() + "/v2/local/instances/" + INSTANCE;
  }

  /** One HTTP exchange; returns status and body. */
  HttpResponse<String> request(String method, String url, String jsonBody) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    if (jsonBody == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(jsonBody, StandardCharsets.UTF_8));
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private Map<String, Object> ok(String method, String url, String body) throws Exception {
    HttpResponse<String> r = request(method, url, body);
    if (r.statusCode() != 200) {
      throw new AssertionError(method + " " + url + " " + (body == null ? "" : body) + " -> "
          + r.statusCode() + " " + r.body());
    }
    return Json.obj(Json.parse(r.body()));
  }

  void createTopic(String topic, int queues) throws Exception {
    ok("POST", instancePath() + "/topics",
        "{\"name\":" + Json.quote(topic) + ",\"queue_num\":" + queues + "}");
  }

  void createGroup(String group) throws Exception {
    ok("POST", instancePath() + "/groups", "{\"name\":" + Json.quote(group) + "}");
  }

  /** DMS reset-message-offset; returns the {@code queues} list of the answer. */
  List<Object> resetOffset(String group, String topic, long timestamp) throws Exception {
    Map<String, Object> r = ok("POST",
        base() + "/v2/reliability/local/instances/" + INSTANCE + "/groups/" + enc(group)
            + "/reset-message-offset",
        "{\"topic\":" + Json.quote(topic) + ",\"timestamp\":" + timestamp + "}");
    return Json.arr(r.get("queues"));
  }

  Map<String, Object> topicStatus(String topic) throws Exception {
    return ok("GET", instancePath() + "/topics/" + enc(topic) + "/status", null);
  }

  /** Consumption details of group on topic (lag, per-queue committed offsets). */
  Map<String, Object> groupDetails(String group, String topic) throws Exception {
    return ok("GET", instancePath() + "/groups/" + enc(group) + "/topics?topic=" + enc(topic), null);
  }

  Map<String, Object> consumers(String group) throws Exception {
    return ok("GET", base() + "/v2/local/rocketmq/instances/" + INSTANCE + "/groups/" + enc(group)
        + "/clients?is_detail=true", null);
  }

  /** The message with id msgId in topic (DMS query by msg_id), or null. */
  Map<String, Object> messageById(String topic, String msgId) throws Exception {
    Map<String, Object> r = ok("GET", base() + "/v2/local/rocketmq/instances/" + INSTANCE
        + "/messages?topic=" + enc(topic) + "&msg_id=" + enc(msgId), null);
    List<Object> l = Json.arr(r.get("messages"));
    return l.isEmpty() ? null : Json.obj(l.get(0));
  }

  /** All messages of topic stored up to now + 1 h (DMS query by time range, first 100). */
  List<Object> messages(String topic) throws Exception {
    Map<String, Object> r = ok("GET", base() + "/v2/local/rocketmq/instances/" + INSTANCE
        + "/messages?topic=" + enc(topic) + "&start_time=0&end_time="
        + (System.currentTimeMillis() + 3_600_000L) + "&limit=100", null);
    return Json.arr(r.get("messages"));
  }

  /** Committed offset of the group for one queue (broker-0), from the consumption details. */
  long committedOffset(String group, String topic, int queueId) throws Exception {
    for (Object b : Json.arr(groupDetails(group, topic).get("brokers"))) {
      for (Object q : Json.arr(Json.obj(b).get("queues"))) {
        if (Json.num(Json.obj(q).get("id")) == queueId) {
          return Json.num(Json.obj(q).get("consumer_offset"));
        }
      }
    }
    throw new AssertionError("no queue " + queueId + " in details of " + group + "/" + topic);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
