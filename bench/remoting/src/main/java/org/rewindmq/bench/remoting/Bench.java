package org.rewindmq.bench.remoting;

import com.alibaba.fastjson.JSON;
import com.alibaba.fastjson.serializer.SerializerFeature;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.impl.MQClientAPIImpl;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.MQVersion;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.constant.PermName;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.protocol.RequestCode;
import org.apache.rocketmq.common.protocol.body.ClusterInfo;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.common.protocol.route.BrokerData;

/**
 * One system per JVM: starts it, runs every scenario, stops it, writes a JSON
 * file. {@link Report} merges the two files into the table.
 *
 * <pre>
 * Bench --system rewindmq|apache --work DIR --json FILE [--binary PATH] [--apache-lib DIR]
 *       [--messages N] [--messages-1k N] [--threads 16] [--producers 4]
 *       [--e2e-rate 2000] [--e2e-seconds 10] [--searches 2000] [--phase-timeout-s 600]
 * </pre>
 */
public final class Bench {
  static final String INSTANCE = "00000000-0000-4000-8000-000000000001";
  static final String T_WARM = "warmup";
  static final String T_BENCH = "bench";
  static final String T_1K = "bench1k";
  static final String T_E2E = "e2e";
  static final int QUEUES = 8;

  // settings
  String system;
  Path work;
  Path jsonOut;
  String binary;
  Path apacheLib;
  int messages = 200000;
  int messages1k = -1;
  int threads = 16;
  int producersN = 4;
  int warmup = -1;
  int e2eRate = 2000;
  int e2eSeconds = 10;
  int searches = 2000;
  long phaseTimeoutNanos = TimeUnit.SECONDS.toNanos(600);
  long seed = 42;

  Servers.Running sys;
  final Map<String, Object> result = new LinkedHashMap<>();
  final Map<String, Object> verify = new LinkedHashMap<>();
  DefaultMQProducer admin;
  DefaultMQProducer[] producers;
  DefaultMQPullConsumer puller;
  /** Store timestamps of the 100 B messages by queue id, index = queue offset - min offset. */
  final Map<Integer, long[]> storeTs = new HashMap<>();
  final Map<Integer, long[]> queueRange = new HashMap<>(); // queueId -> {min, max}

  public static void main(String[] args) throws Exception {
    Bench b = new Bench();
    b.parse(args);
    int rc = b.run();
    System.exit(rc);
  }

  void parse(String[] a) {
    for (int i = 0; i < a.length; i++) {
      String k = a[i];
      String v = i + 1 < a.length ? a[i + 1] : null;
      switch (k) {
        case "--system": system = v; i++; break;
        case "--work": work = Path.of(v); i++; break;
        case "--json": jsonOut = Path.of(v); i++; break;
        case "--binary": binary = v; i++; break;
        case "--apache-lib": apacheLib = Path.of(v); i++; break;
        case "--messages": messages = Integer.parseInt(v); i++; break;
        case "--messages-1k": messages1k = Integer.parseInt(v); i++; break;
        case "--threads": threads = Integer.parseInt(v); i++; break;
        case "--producers": producersN = Integer.parseInt(v); i++; break;
        case "--warmup": warmup = Integer.parseInt(v); i++; break;
        case "--e2e-rate": e2eRate = Integer.parseInt(v); i++; break;
        case "--e2e-seconds": e2eSeconds = Integer.parseInt(v); i++; break;
        case "--searches": searches = Integer.parseInt(v); i++; break;
        case "--phase-timeout-s": phaseTimeoutNanos = TimeUnit.SECONDS.toNanos(Long.parseLong(v)); i++; break;
        case "--seed": seed = Long.parseLong(v); i++; break;
        default: throw new IllegalArgumentException("unknown argument " + k);
      }
    }
    if (system == null || work == null || jsonOut == null) {
      throw new IllegalArgumentException("--system, --work and --json are required");
    }
    if (warmup < 0) {
      warmup = Math.max(5000, messages / 10);
    }
    if (messages1k < 0) {
      messages1k = Math.max(1, messages / 2);
    }
  }

  static void log(String fmt, Object... args) {
    System.err.printf("[%tT] " + fmt + "%n", prepend(System.currentTimeMillis(), args));
  }

  static Object[] prepend(Object first, Object[] rest) {
    Object[] o = new Object[rest.length + 1];
    o[0] = first;
    System.arraycopy(rest, 0, o, 1, rest.length);
    return o;
  }

  int run() throws Exception {
    Files.createDirectories(work);
    Path pidFile = work.resolve("pids");
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("messages_100b", messages);
    settings.put("messages_1k", messages1k);
    settings.put("warmup_messages", warmup);
    settings.put("producer_threads", threads);
    settings.put("producer_instances", producersN);
    settings.put("e2e_rate_per_s", e2eRate);
    settings.put("e2e_seconds", e2eSeconds);
    settings.put("searches", searches);
    settings.put("queues", QUEUES);
    settings.put("seed", seed);
    settings.put("client", "org.apache.rocketmq:rocketmq-client:" + MQVersion.getVersionDesc(MQVersion.CURRENT_VERSION));
    result.put("system", system);
    result.put("settings", settings);
    result.put("load_avg_start", Files.readString(Path.of("/proc/loadavg")).trim());
    int rc = 0;
    Thread hook = new Thread(this::stopAll);
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      prewarmClient();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      sys = "rewindmq".equals(system) ? startRewindmq(pidFile, deadline) : startApache(pidFile, deadline);
      result.put("server", sys.info);
      setupClients();
      result.put("startup", ready(deadline));
      result.put("rss_idle", rss());
      phase("produce_warmup", () -> produce(T_WARM, warmup, 100, -1));
      phase("produce_100b", () -> produce(T_BENCH, messages, 100, 0));
      phase("produce_1k", () -> produce(T_1K, messages1k, 1024, -1));
      result.put("rss_after_load", rss());
      result.put("disk_after_load_bytes", Servers.duBytes(sys.dataDir));
      phase("queue_offsets", this::queueOffsets);
      phase("consume_100b", this::consume);
      phase("search_offset", this::searchOffset);
      phase("e2e_latency", this::e2e);
      result.put("rss_end", rss());
    } catch (Throwable t) {
      log("%s: FAILED: %s", system, t);
      t.printStackTrace();
      result.put("fatal_error", String.valueOf(t));
      rc = 1;
    } finally {
      result.put("verify", verify);
      stopAll();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException ignored) {
        // shutting down already
      }
      result.put("load_avg_end", Files.readString(Path.of("/proc/loadavg")).trim());
      Files.writeString(jsonOut, JSON.toJSONString(result, SerializerFeature.PrettyFormat,
          SerializerFeature.DisableCircularReferenceDetect), StandardCharsets.UTF_8);
      log("%s: wrote %s", system, jsonOut);
    }
    return rc;
  }

  interface Phase {
    Map<String, Object> run() throws Exception;
  }

  void phase(String name, Phase p) {
    log("%s: %s ...", system, name);
    Map<String, Object> r;
    long c0 = serverTicks();
    long cc0 = clientCpuNanos();
    try {
      r = p.run();
    } catch (Throwable t) {
      log("%s: %s FAILED: %s", system, name, t);
      t.printStackTrace();
      r = new LinkedHashMap<>();
      r.put("error", String.valueOf(t));
    }
    r.put("server_cpu_s", (serverTicks() - c0) / 100.0);
    r.put("client_cpu_s", (clientCpuNanos() - cc0) / 1e9);
    r.put("load_avg_after", loadAvg());
    result.put(name, r);
    log("%s: %s: %s", system, name, JSON.toJSONString(r));
  }

  static String loadAvg() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (Exception e) {
      return "?";
    }
  }

  long serverTicks() {
    long t = 0;
    for (Servers.Proc p : sys.procs) {
      t += Math.max(0, Servers.cpuTicks(p.pid()));
    }
    return t;
  }

  static long clientCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  Map<String, Object> rss() {
    Map<String, Object> r = new LinkedHashMap<>();
    long total = 0;
    for (Servers.Proc p : sys.procs) {
      Map<String, Long> m = Servers.rss(p.pid());
      r.put(p.name, m);
      total += m.getOrDefault("VmRSS_kib", 0L);
    }
    r.put("total_VmRSS_kib", total);
    return r;
  }

  void stopAll() {
    synchronized (this) {
      try {
        if (admin != null) admin.shutdown();
        if (producers != null) for (DefaultMQProducer p : producers) p.shutdown();
        if (puller != null) puller.shutdown();
      } catch (Throwable ignored) {
        // best effort; the servers are stopped below regardless
      }
      admin = null;
      producers = null;
      puller = null;
      if (sys == null) return;
      Map<String, Object> exits = new LinkedHashMap<>();
      // Stop in reverse start order (Apache: broker first, then the name server).
      for (int i = sys.procs.size() - 1; i >= 0; i--) {
        Servers.Proc p = sys.procs.get(i);
        exits.put(p.name, Servers.stop(p));
      }
      result.put("stop", exits);
      sys.procs.clear();
    }
  }

  // ---------------------------------------------------------------- servers

  Servers.Running startRewindmq(Path pidFile, long deadline) throws Exception {
    Servers.Running r = new Servers.Running();
    r.dataDir = work.resolve("rewindmq-data");
    Files.createDirectories(r.dataDir);
    List<String> cmd = List.of(binary, "--data-dir", r.dataDir.toString(), "--listen", "127.0.0.1:0",
        "--remoting-listen", "127.0.0.1:0", "--log-level", "warning");
    r.info.put("command", String.join(" ", cmd));
    r.info.put("durability", "interval (default; --flush-interval-ms 200)");
    Servers.Proc p = Servers.launch("rewindmq", cmd, Map.of(), work.resolve("rewindmq.log"), pidFile);
    r.procs.add(p);
    r.launchNanos = p.startNanos;
    String http = Servers.waitForLog(p, Pattern.compile("rewindmq listening on (\\S+?),"), deadline);
    String remoting = Servers.waitForLog(p, Pattern.compile("rewindmq remoting listening on (\\S+)"), deadline);
    r.info.put("printed_ms", ms(System.nanoTime() - p.startNanos));
    r.httpBase = "http://" + http;
    r.namesrvAddr = remoting;
    r.info.put("http", http);
    r.info.put("remoting", remoting);
    r.info.put("pid", p.pid());
    return r;
  }

  Servers.Running startApache(Path pidFile, long deadline) throws Exception {
    Servers.Running r = new Servers.Running();
    Path home = work.resolve("apache-home");
    Path userHome = work.resolve("apache-user-home");
    Path store = work.resolve("apache-store");
    Files.createDirectories(home.resolve("conf"));
    Files.createDirectories(userHome);
    Files.createDirectories(store);
    r.dataDir = store;
    for (String n : new String[] {"namesrv", "broker"}) {
      Files.writeString(home.resolve("conf/logback_" + n + ".xml"),
          "<configuration>\n"
              + "  <appender name=\"F\" class=\"ch.qos.logback.core.FileAppender\">\n"
              + "    <file>" + userHome + "/logs/rocketmqlogs/" + n + ".log</file>\n"
              + "    <encoder><pattern>%d{HH:mm:ss.SSS} %-5p [%t] %c{0} - %m%n</pattern></encoder>\n"
              + "  </appender>\n"
              + "  <root level=\"WARN\"><appender-ref ref=\"F\"/></root>\n"
              + "</configuration>\n");
    }
    Random rnd = new Random();
    int nsPort = Servers.freePortTriple(rnd);
    int brokerPort;
    do {
      brokerPort = Servers.freePortTriple(rnd);
    } while (Math.abs(brokerPort - nsPort) < 4);
    Path nsConf = home.resolve("namesrv.conf");
    Files.writeString(nsConf, "listenPort=" + nsPort + "\n"
        + "rocketmqHome=" + home + "\n"
        + "kvConfigPath=" + home.resolve("namesrv/kvConfig.json") + "\n");
    Path brokerConf = home.resolve("broker.conf");
    Files.writeString(brokerConf, "brokerClusterName=DefaultCluster\n"
        + "brokerName=broker-a\n"
        + "brokerId=0\n"
        + "brokerRole=ASYNC_MASTER\n"
        + "flushDiskType=ASYNC_FLUSH\n"
        + "listenPort=" + brokerPort + "\n"
        + "namesrvAddr=127.0.0.1:" + nsPort + "\n"
        + "brokerIP1=127.0.0.1\n"
        + "brokerIP2=127.0.0.1\n"
        + "autoCreateTopicEnable=false\n"
        + "rocketmqHome=" + home + "\n"
        + "storePathRootDir=" + store + "\n"
        + "storePathCommitLog=" + store.resolve("commitlog") + "\n"
        + "deleteWhen=04\n"
        + "fileReservedTime=48\n");
    r.info.put("namesrv_conf", Files.readString(nsConf));
    r.info.put("broker_conf", Files.readString(brokerConf));
    r.info.put("durability", "flushDiskType=ASYNC_FLUSH (Apache default)");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp = apacheLib.toString() + "/*";
    List<String> jvm = List.of(java, "-Xms512m", "-Xmx1g", "-XX:+UseG1GC",
        "--add-opens", "java.base/java.nio=ALL-UNNAMED",
        "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "-Duser.home=" + userHome, "-Drocketmq.home.dir=" + home, "-cp", cp);
    Map<String, String> env = Map.of("ROCKETMQ_HOME", home.toString());
    List<String> nsCmd = new ArrayList<>(jvm);
    nsCmd.addAll(List.of("org.apache.rocketmq.namesrv.NamesrvStartup", "-c", nsConf.toString()));
    Servers.Proc ns = Servers.launch("namesrv", nsCmd, env, work.resolve("namesrv.out"), pidFile);
    r.procs.add(ns);
    r.launchNanos = ns.startNanos;
    Servers.waitForTcp(ns, nsPort, deadline);
    r.info.put("namesrv_listening_ms", ms(System.nanoTime() - ns.startNanos));
    List<String> brCmd = new ArrayList<>(jvm);
    brCmd.addAll(List.of("org.apache.rocketmq.broker.BrokerStartup", "-c", brokerConf.toString()));
    Servers.Proc br = Servers.launch("broker", brCmd, env, work.resolve("broker.out"), pidFile);
    r.procs.add(br);
    r.info.put("broker_launched_ms", ms(br.startNanos - ns.startNanos));
    r.namesrvAddr = "127.0.0.1:" + nsPort;
    r.brokerAddr = "127.0.0.1:" + brokerPort;
    r.info.put("namesrv", r.namesrvAddr);
    r.info.put("broker", r.brokerAddr);
    r.info.put("namesrv_pid", ns.pid());
    r.info.put("broker_pid", br.pid());
    r.info.put("command_namesrv", String.join(" ", nsCmd));
    r.info.put("command_broker", String.join(" ", brCmd));
    r.info.put("version", "org.apache.rocketmq:rocketmq-broker/rocketmq-namesrv " + apacheVersion());
    return r;
  }

  String apacheVersion() {
    try (var s = Files.list(apacheLib)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("rocketmq-broker-"))
          .map(n -> n.substring("rocketmq-broker-".length(), n.length() - 4)).findFirst().orElse("?");
    } catch (Exception e) {
      return "?";
    }
  }

  void setupClients() throws Exception {
    admin = newProducer("bench-admin", "admin");
    admin.start();
    producers = new DefaultMQProducer[producersN];
    for (int i = 0; i < producersN; i++) {
      producers[i] = newProducer("bench-producer-" + i, "producer-" + i);
      producers[i].start();
    }
    puller = new DefaultMQPullConsumer("bench-search");
    puller.setNamesrvAddr(sys.namesrvAddr);
    puller.setInstanceName("search");
    puller.setVipChannelEnabled(false);
    puller.start();
  }

  DefaultMQProducer newProducer(String group, String instance) {
    DefaultMQProducer p = new DefaultMQProducer(group);
    p.setNamesrvAddr(sys.namesrvAddr);
    p.setInstanceName(instance);
    p.setVipChannelEnabled(false);
    return p;
  }

  MQClientAPIImpl api(DefaultMQProducer p) {
    return p.getDefaultMQProducerImpl().getmQClientFactory().getMQClientAPIImpl();
  }

  /** Launch -> broker listed by the name server -> topics created -> first send OK. */
  Map<String, Object> ready(long deadline) throws Exception {
    Map<String, Object> r = new LinkedHashMap<>();
    String lastError = null;
    String brokerAddr = null;
    while (brokerAddr == null) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no broker listed in cluster info before the deadline: " + lastError);
      }
      checkAlive();
      try {
        ClusterInfo ci = api(admin).getBrokerClusterInfo(2000);
        for (BrokerData bd : ci.getBrokerAddrTable().values()) {
          if (bd.getBrokerAddrs() != null && bd.getBrokerAddrs().get(0L) != null) {
            brokerAddr = bd.getBrokerAddrs().get(0L);
          }
        }
      } catch (Exception e) {
        lastError = String.valueOf(e);
      }
      if (brokerAddr == null) Thread.sleep(10);
    }
    r.put("broker_listed_ms", ms(System.nanoTime() - sys.launchNanos));
    r.put("broker_addr", brokerAddr);
    long c0 = System.nanoTime();
    createTopics(brokerAddr, deadline, new String[] {T_WARM});
    r.put("topic_created_ms", ms(System.nanoTime() - sys.launchNanos));
    r.put("topic_creation_ms", ms(System.nanoTime() - c0));
    int attempts = 0;
    while (true) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no successful send before the deadline: " + lastError);
      }
      checkAlive();
      attempts++;
      try {
        SendResult sr = admin.send(new Message(T_WARM, body(0, 100)));
        if (sr.getSendStatus() == SendStatus.SEND_OK) break;
        lastError = String.valueOf(sr.getSendStatus());
      } catch (Exception e) {
        lastError = String.valueOf(e);
      }
      Thread.sleep(10);
    }
    r.put("first_send_ok_ms", ms(System.nanoTime() - sys.launchNanos));
    r.put("send_attempts", attempts);
    long c1 = System.nanoTime();
    createTopics(brokerAddr, deadline, new String[] {T_BENCH, T_1K, T_E2E});
    r.put("other_topics_creation_ms", ms(System.nanoTime() - c1));
    return r;
  }

  /**
   * Loads the client's classes (remoting, Netty, JSON, HTTP) before a server
   * is launched, against a closed local port, so that the start-up time is
   * the server's and not the client JVM's class loading.
   */
  void prewarmClient() {
    long t0 = System.nanoTime();
    int port = Servers.freePortTriple(new Random());
    DefaultMQProducer w = new DefaultMQProducer("bench-prewarm");
    w.setNamesrvAddr("127.0.0.1:" + port);
    w.setInstanceName("prewarm");
    w.setVipChannelEnabled(false);
    w.setSendMsgTimeout(1000);
    try {
      w.start();
      try {
        api(w).getBrokerClusterInfo(500);
      } catch (Exception expected) {
        // connection refused
      }
      try {
        w.send(new Message(T_WARM, body(0, 100)));
      } catch (Exception expected) {
        // no route
      }
      RemotingCommand cmd = RemotingCommand.createRequestCommand(RequestCode.GET_BROKER_CLUSTER_INFO, null);
      cmd.encode();
      JSON.parseObject(new ClusterInfo().toJson(), ClusterInfo.class);
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
      try {
        http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).timeout(Duration.ofSeconds(1))
            .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
      } catch (Exception expected) {
        // connection refused
      }
    } catch (Exception e) {
      log("%s: client pre-warm: %s", system, e);
    } finally {
      w.shutdown();
    }
    result.put("client_prewarm_ms", ms(System.nanoTime() - t0));
  }

  void checkAlive() {
    for (Servers.Proc p : sys.procs) {
      if (!p.process.isAlive()) {
        throw new IllegalStateException(p.name + " exited with " + p.process.exitValue() + ": "
            + Servers.tail(p.log));
      }
    }
  }

  void createTopics(String brokerAddr, long deadline, String[] topics) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    for (String t : topics) {
      String lastError = null;
      boolean done = false;
      while (!done) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("topic " + t + " not created before the deadline: " + lastError);
        }
        try {
          if ("rewindmq".equals(system)) {
            HttpRequest req = HttpRequest.newBuilder(URI.create(sys.httpBase + "/v2/local/instances/" + INSTANCE
                    + "/topics"))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + t + "\",\"queue_num\":" + QUEUES + "}"))
                .build();
            HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
            if (resp.statusCode() / 100 == 2) {
              done = true;
            } else {
              lastError = resp.statusCode() + " " + resp.body();
              if (resp.statusCode() / 100 == 4) {
                throw new IllegalStateException("creating topic " + t + ": HTTP " + lastError);
              }
            }
          } else {
            TopicConfig tc = new TopicConfig(t, QUEUES, QUEUES, PermName.PERM_READ | PermName.PERM_WRITE);
            api(admin).createTopic(brokerAddr, "TBW102", tc, 5000);
            done = true;
          }
        } catch (IllegalStateException e) {
          throw e;
        } catch (Exception e) {
          lastError = String.valueOf(e);
        }
        if (!done) Thread.sleep(20);
      }
    }
  }

  // ---------------------------------------------------------------- scenarios

  static byte[] body(long seq, int size) {
    byte[] b = new byte[size];
    Arrays.fill(b, (byte) 'x');
    String s = String.format("%012d", seq);
    System.arraycopy(s.getBytes(StandardCharsets.US_ASCII), 0, b, 0, 12);
    return b;
  }

  static long seqOf(byte[] body) {
    return Long.parseLong(new String(body, 0, 12, StandardCharsets.US_ASCII));
  }

  /**
   * Sync sends of n messages from `threads` threads sharing the producers.
   * A failed send is retried up to 4 more times by the benchmark (counted
   * and reported with its first error); seq numbers start at seqBase (or
   * use 0 when seqBase is negative: not checked later).
   */
  Map<String, Object> produce(String topic, int n, int size, long seqBase) throws Exception {
    Map<String, Object> r = new LinkedHashMap<>();
    AtomicLong next = new AtomicLong();
    AtomicLong ok = new AtomicLong();
    AtomicLong failedAttempts = new AtomicLong();
    AtomicLong lost = new AtomicLong();
    AtomicReference<String> firstError = new AtomicReference<>();
    long[] lat = new long[n];
    long deadline = System.nanoTime() + phaseTimeoutNanos;
    AtomicInteger timedOut = new AtomicInteger();
    CountDownLatch startGate = new CountDownLatch(1);
    Thread[] ts = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      DefaultMQProducer p = producers[t % producers.length];
      ts[t] = new Thread(() -> {
        try {
          startGate.await();
        } catch (InterruptedException e) {
          return;
        }
        while (true) {
          long i = next.getAndIncrement();
          if (i >= n) return;
          if (System.nanoTime() > deadline) {
            timedOut.incrementAndGet();
            return;
          }
          Message m = new Message(topic, body(Math.max(0, seqBase) + i, size));
          boolean sent = false;
          for (int attempt = 0; attempt < 5 && !sent; attempt++) {
            long t0 = System.nanoTime();
            try {
              SendResult sr = p.send(m);
              if (sr.getSendStatus() == SendStatus.SEND_OK) {
                lat[(int) i] = System.nanoTime() - t0;
                sent = true;
              } else {
                failedAttempts.incrementAndGet();
                firstError.compareAndSet(null, "send status " + sr.getSendStatus());
              }
            } catch (Exception e) {
              failedAttempts.incrementAndGet();
              firstError.compareAndSet(null, String.valueOf(e));
              try {
                Thread.sleep(10);
              } catch (InterruptedException ie) {
                return;
              }
            }
          }
          if (sent) ok.incrementAndGet();
          else lost.incrementAndGet();
        }
      }, "send-" + t);
      ts[t].start();
    }
    long t0 = System.nanoTime();
    startGate.countDown();
    for (Thread t : ts) {
      t.join(TimeUnit.NANOSECONDS.toMillis(Math.max(1, deadline - System.nanoTime())) + 30000);
    }
    long el = System.nanoTime() - t0;
    for (Thread t : ts) {
      if (t.isAlive()) {
        t.interrupt();
      }
    }
    double s = el / 1e9;
    r.put("topic", topic);
    r.put("body_bytes", size);
    r.put("messages", n);
    r.put("acked", ok.get());
    r.put("seconds", s);
    r.put("msgs_per_s", ok.get() / s);
    r.put("mib_per_s", ok.get() * (double) size / s / 1048576.0);
    long[] okLat = Arrays.stream(lat).filter(x -> x > 0).sorted().toArray();
    r.put("send_latency_ms", pct(okLat));
    r.put("failed_attempts", failedAttempts.get());
    r.put("unsent_after_5_attempts", lost.get());
    r.put("first_error", firstError.get());
    if (timedOut.get() > 0) {
      throw new IllegalStateException("produce " + topic + ": deadline passed after " + ok.get() + " of " + n
          + " acked; first error: " + firstError.get());
    }
    if (ok.get() != n) {
      r.put("error", (n - ok.get()) + " of " + n + " messages never acked; first error: " + firstError.get());
    }
    return r;
  }

  Map<String, Object> queueOffsets() throws Exception {
    Map<String, Object> r = new LinkedHashMap<>();
    long total = 0;
    List<MessageQueue> mqs = new ArrayList<>(puller.fetchSubscribeMessageQueues(T_BENCH));
    mqs.sort((a, b) -> Integer.compare(a.getQueueId(), b.getQueueId()));
    for (MessageQueue mq : mqs) {
      long min = puller.minOffset(mq);
      long max = puller.maxOffset(mq);
      queueRange.put(mq.getQueueId(), new long[] {min, max});
      storeTs.put(mq.getQueueId(), new long[(int) (max - min)]);
      total += max - min;
      r.put("q" + mq.getQueueId(), min + ".." + max);
    }
    r.put("queues", mqs.size());
    r.put("stored", total);
    verify.put("stored_100b_equals_acked", total == messages);
    if (mqs.size() != QUEUES) {
      throw new IllegalStateException("topic " + T_BENCH + " has " + mqs.size() + " queues, expected " + QUEUES);
    }
    return r;
  }

  Map<String, Object> consume() throws Exception {
    Map<String, Object> r = new LinkedHashMap<>();
    final int n = messages;
    AtomicIntegerArray seen = new AtomicIntegerArray(n);
    AtomicInteger distinct = new AtomicInteger();
    AtomicLong delivered = new AtomicLong();
    AtomicLong dups = new AtomicLong();
    AtomicLong unknown = new AtomicLong();
    AtomicLong firstAt = new AtomicLong();
    AtomicLong doneAt = new AtomicLong();
    CountDownLatch done = new CountDownLatch(1);
    DefaultMQPushConsumer c = new DefaultMQPushConsumer("bench-consumer");
    c.setNamesrvAddr(sys.namesrvAddr);
    c.setInstanceName("consumer");
    c.setVipChannelEnabled(false);
    c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
    c.subscribe(T_BENCH, "*");
    c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
      firstAt.compareAndSet(0, System.nanoTime());
      for (MessageExt m : msgs) {
        delivered.incrementAndGet();
        long[] ts = storeTs.get(m.getQueueId());
        long[] range = queueRange.get(m.getQueueId());
        if (ts != null && m.getQueueOffset() >= range[0] && m.getQueueOffset() < range[1]) {
          ts[(int) (m.getQueueOffset() - range[0])] = m.getStoreTimestamp();
        }
        long seq;
        try {
          seq = seqOf(m.getBody());
        } catch (RuntimeException e) {
          unknown.incrementAndGet();
          continue;
        }
        if (seq < 0 || seq >= n) {
          unknown.incrementAndGet();
        } else if (seen.getAndSet((int) seq, 1) == 0) {
          if (distinct.incrementAndGet() == n) {
            doneAt.set(System.nanoTime());
            done.countDown();
          }
        } else {
          dups.incrementAndGet();
        }
      }
      return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
    });
    long t0 = System.nanoTime();
    c.start();
    boolean complete;
    try {
      complete = done.await(TimeUnit.NANOSECONDS.toMillis(phaseTimeoutNanos), TimeUnit.MILLISECONDS);
      long end = complete ? doneAt.get() : System.nanoTime();
      double s = (end - t0) / 1e9;
      r.put("messages", n);
      r.put("distinct_received", distinct.get());
      r.put("delivered", delivered.get());
      r.put("duplicates", dups.get());
      r.put("foreign", unknown.get());
      r.put("seconds_from_start", s);
      r.put("first_message_after_ms", firstAt.get() == 0 ? -1 : ms(firstAt.get() - t0));
      r.put("msgs_per_s", distinct.get() / s);
      if (firstAt.get() != 0) {
        r.put("msgs_per_s_from_first_message", distinct.get() / ((end - firstAt.get()) / 1e9));
      }
    } finally {
      c.shutdown();
    }
    verify.put("consumer_exactly_n_distinct", complete && distinct.get() == n && unknown.get() == 0);
    verify.put("consumer_duplicates", dups.get());
    if (!complete) {
      throw new IllegalStateException("consumer received " + distinct.get() + " of " + n
          + " distinct messages before the deadline");
    }
    return r;
  }

  Map<String, Object> searchOffset() throws Exception {
    Map<String, Object> r = new LinkedHashMap<>();
    long minTs = Long.MAX_VALUE;
    long maxTs = Long.MIN_VALUE;
    for (long[] ts : storeTs.values()) {
      for (long t : ts) {
        if (t == 0) throw new IllegalStateException("a 100 B message's store time is unknown (not consumed)");
        minTs = Math.min(minTs, t);
        maxTs = Math.max(maxTs, t);
      }
    }
    r.put("store_time_range_ms", maxTs - minTs);
    List<MessageQueue> mqs = new ArrayList<>(puller.fetchSubscribeMessageQueues(T_BENCH));
    mqs.sort((a, b) -> Integer.compare(a.getQueueId(), b.getQueueId()));
    Random rnd = new Random(seed);
    int warm = Math.max(100, searches / 10);
    long deadline = System.nanoTime() + phaseTimeoutNanos;
    long[] lat = new long[searches];
    long[][] answers = new long[searches][]; // {queueId, T, offset}
    for (int k = -warm; k < searches; k++) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("searchOffset: deadline passed at " + k);
      MessageQueue mq = mqs.get(rnd.nextInt(mqs.size()));
      long t = minTs + (long) (rnd.nextDouble() * (maxTs - minTs + 1));
      long t0 = System.nanoTime();
      long off = puller.searchOffset(mq, t);
      long el = System.nanoTime() - t0;
      if (k >= 0) {
        lat[k] = el;
        answers[k] = new long[] {mq.getQueueId(), t, off};
      }
    }
    Arrays.sort(lat);
    r.put("searches", searches);
    r.put("warmup_searches", warm);
    r.put("latency_ms", pct(lat));
    // Verification: within [min, max] of the queue; monotone in T per queue.
    long outOfRange = 0;
    long nonMonotone = 0;
    long exact = 0;
    String firstBad = null;
    Map<Integer, List<long[]>> byQueue = new HashMap<>();
    for (long[] a : answers) {
      byQueue.computeIfAbsent((int) a[0], q -> new ArrayList<>()).add(a);
      long[] range = queueRange.get((int) a[0]);
      if (a[2] < range[0] || a[2] > range[1]) {
        outOfRange++;
        if (firstBad == null) firstBad = "queue " + a[0] + " T=" + a[1] + " -> " + a[2] + " outside "
            + range[0] + ".." + range[1];
      }
      long[] ts = storeTs.get((int) a[0]);
      int lb = lowerBound(ts, a[1]);
      if (a[2] == range[0] + lb) exact++;
    }
    for (List<long[]> l : byQueue.values()) {
      l.sort((x, y) -> Long.compare(x[1], y[1]));
      for (int i = 1; i < l.size(); i++) {
        if (l.get(i)[2] < l.get(i - 1)[2]) {
          nonMonotone++;
          if (firstBad == null) firstBad = "queue " + l.get(i)[0] + ": T=" + l.get(i - 1)[1] + " -> "
              + l.get(i - 1)[2] + " but T=" + l.get(i)[1] + " -> " + l.get(i)[2];
        }
      }
    }
    r.put("out_of_range", outOfRange);
    r.put("non_monotone_pairs", nonMonotone);
    r.put("first_violation", firstBad);
    r.put("exact_first_at_or_after_T", exact);
    verify.put("search_within_min_max", outOfRange == 0);
    verify.put("search_monotone_in_T", nonMonotone == 0);
    verify.put("search_exact_first_at_or_after_T_fraction", exact / (double) searches);
    return r;
  }

  static int lowerBound(long[] a, long key) {
    int lo = 0;
    int hi = a.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  Map<String, Object> e2e() throws Exception {
    Map<String, Object> r = new LinkedHashMap<>();
    final int total = e2eRate * e2eSeconds;
    AtomicLongArray latency = new AtomicLongArray(total);
    AtomicInteger received = new AtomicInteger();
    AtomicIntegerArray probes = new AtomicIntegerArray(QUEUES);
    AtomicInteger probesSeen = new AtomicInteger();
    CountDownLatch allReceived = new CountDownLatch(1);
    DefaultMQPushConsumer c = new DefaultMQPushConsumer("e2e-consumer");
    c.setNamesrvAddr(sys.namesrvAddr);
    c.setInstanceName("e2e-consumer");
    c.setVipChannelEnabled(false);
    c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
    c.subscribe(T_E2E, "*");
    c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
      long now = System.nanoTime();
      for (MessageExt m : msgs) {
        String probe = m.getUserProperty("probe");
        if (probe != null) {
          if (probes.getAndSet(Integer.parseInt(probe), 1) == 0) probesSeen.incrementAndGet();
          continue;
        }
        String t0 = m.getUserProperty("t0");
        String seq = m.getUserProperty("seq");
        if (t0 == null || seq == null) continue;
        int i = Integer.parseInt(seq);
        if (i >= 0 && i < total && latency.compareAndSet(i, 0, Math.max(1, now - Long.parseLong(t0)))) {
          if (received.incrementAndGet() == total) allReceived.countDown();
        }
      }
      return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
    });
    c.start();
    try {
      // Until the consumer owns all queues: one probe per queue, resent every second until seen.
      List<MessageQueue> mqs = new ArrayList<>(admin.fetchPublishMessageQueues(T_E2E));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      long p0 = System.nanoTime();
      while (probesSeen.get() < mqs.size()) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("e2e consumer got " + probesSeen.get() + " of " + mqs.size()
              + " probes in 60 s");
        }
        for (MessageQueue mq : mqs) {
          if (probes.get(mq.getQueueId()) == 0) {
            Message m = new Message(T_E2E, body(0, 100));
            m.putUserProperty("probe", Integer.toString(mq.getQueueId()));
            admin.send(m, mq);
          }
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (probesSeen.get() < mqs.size() && System.nanoTime() < until) Thread.sleep(5);
      }
      r.put("consumer_ready_ms", ms(System.nanoTime() - p0));
      // Paced sends: message i is due at start + i / rate, from the producer threads.
      AtomicLong next = new AtomicLong();
      AtomicLong failed = new AtomicLong();
      AtomicReference<String> firstError = new AtomicReference<>();
      int senders = threads;
      Thread[] ts = new Thread[senders];
      long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
      double interval = 1e9 / e2eRate;
      long sendDeadline = start + TimeUnit.SECONDS.toNanos(e2eSeconds * 3L + 30);
      for (int t = 0; t < senders; t++) {
        DefaultMQProducer p = producers[t % producers.length];
        ts[t] = new Thread(() -> {
          while (true) {
            long i = next.getAndIncrement();
            if (i >= total || System.nanoTime() > sendDeadline) return;
            long due = start + (long) (i * interval);
            long wait = due - System.nanoTime();
            if (wait > 0) LockSupport.parkNanos(wait);
            Message m = new Message(T_E2E, body(i, 100));
            m.putUserProperty("seq", Long.toString(i));
            m.putUserProperty("t0", Long.toString(System.nanoTime()));
            try {
              SendResult sr = p.send(m);
              if (sr.getSendStatus() != SendStatus.SEND_OK) {
                failed.incrementAndGet();
                firstError.compareAndSet(null, String.valueOf(sr.getSendStatus()));
              }
            } catch (Exception e) {
              failed.incrementAndGet();
              firstError.compareAndSet(null, String.valueOf(e));
            }
          }
        }, "e2e-send-" + t);
        ts[t].start();
      }
      for (Thread t : ts) {
        t.join(TimeUnit.NANOSECONDS.toMillis(Math.max(1, sendDeadline - System.nanoTime())) + 10000);
      }
      double sendSeconds = (System.nanoTime() - start) / 1e9;
      boolean all = allReceived.await(30, TimeUnit.SECONDS);
      long[] l = new long[received.get()];
      int k = 0;
      for (int i = 0; i < total && k < l.length; i++) {
        long v = latency.get(i);
        if (v > 0) l[k++] = v;
      }
      l = Arrays.copyOf(l, k);
      Arrays.sort(l);
      r.put("target_rate_per_s", e2eRate);
      r.put("sent", total - failed.get());
      r.put("send_failures", failed.get());
      r.put("first_error", firstError.get());
      r.put("sender_threads", senders);
      r.put("achieved_rate_per_s", total / sendSeconds);
      r.put("received", k);
      r.put("latency_ms", pct(l));
      verify.put("e2e_all_received", all && failed.get() == 0);
      if (!all) {
        r.put("error", "received " + k + " of " + total + " within 30 s after the last send");
      }
    } finally {
      c.shutdown();
    }
    return r;
  }

  // ---------------------------------------------------------------- helpers

  static double ms(long nanos) {
    return Math.round(nanos / 1e4) / 100.0;
  }

  /** p50/p90/p99/max in ms of a sorted array of nanoseconds. */
  static Map<String, Object> pct(long[] sorted) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("n", sorted.length);
    if (sorted.length == 0) return m;
    for (double p : new double[] {0.50, 0.90, 0.99}) {
      int idx = (int) Math.ceil(p * sorted.length) - 1;
      m.put("p" + (int) Math.round(p * 100), sorted[Math.max(0, idx)] / 1e6);
    }
    m.put("max", sorted[sorted.length - 1] / 1e6);
    m.put("mean", Arrays.stream(sorted).average().orElse(0) / 1e6);
    return m;
  }
}
