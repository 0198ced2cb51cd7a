package org.rewindmq.bench.remoting;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Starting and stopping the servers under test, by PID, and reading their
 * memory and CPU from /proc. Every PID started is appended to a pid file so
 * that run.sh can stop leftovers even if this JVM dies.
 */
final class Servers {
  private Servers() {}

  /** One started server process. */
  static final class Proc {
    final String name;
    final Process process;
    final Path log;
    final long startNanos;

    Proc(String name, Process process, Path log, long startNanos) {
      this.name = name;
      this.process = process;
      this.log = log;
      this.startNanos = startNanos;
    }

    long pid() {
      return process.pid();
    }
  }

  /** What the benchmark needs to know about a running system. */
  static final class Running {
    String namesrvAddr;
    String httpBase; // rewindmq only
    String brokerAddr; // Apache only
    final List<Proc> procs = new ArrayList<>();
    Path dataDir;
    long launchNanos;
    final Map<String, Object> info = new LinkedHashMap<>();
  }

  static Proc launch(String name, List<String> cmd, Map<String, String> env, Path log, Path pidFile)
      throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    pb.environment().putAll(env);
    long t0 = System.nanoTime();
    Process p = pb.start();
    Files.writeString(pidFile, p.pid() + "\n", StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    return new Proc(name, p, log, t0);
  }

  /** SIGTERM, up to 20 s, then SIGKILL. Returns the exit status (or a note). */
  static String stop(Proc p) {
    if (!p.process.isAlive()) {
      return "exited before stop: " + p.process.exitValue();
    }
    p.process.destroy(); // SIGTERM
    try {
      if (p.process.waitFor(20, TimeUnit.SECONDS)) {
        return "SIGTERM: exit " + p.process.exitValue();
      }
      p.process.destroyForcibly(); // SIGKILL
      if (p.process.waitFor(10, TimeUnit.SECONDS)) {
        return "SIGKILL after 20 s: exit " + p.process.exitValue();
      }
      return "still alive after SIGKILL";
    } catch (InterruptedException e) {
      p.process.destroyForcibly();
      Thread.currentThread().interrupt();
      return "interrupted; SIGKILL sent";
    }
  }

  /** Waits until the log file contains a line matching the pattern; returns group(1). */
  static String waitForLog(Proc p, Pattern pattern, long deadlineNanos) throws Exception {
    while (System.nanoTime() < deadlineNanos) {
      String text = Files.exists(p.log) ? Files.readString(p.log, StandardCharsets.UTF_8) : "";
      Matcher m = pattern.matcher(text);
      if (m.find()) {
        return m.group(1);
      }
      if (!p.process.isAlive()) {
        throw new IllegalStateException(p.name + " exited with " + p.process.exitValue()
            + " before printing " + pattern + "; log: " + tail(p.log));
      }
      Thread.sleep(5);
    }
    throw new IllegalStateException(p.name + ": no line matching " + pattern + " before the deadline; log: "
        + tail(p.log));
  }

  static void waitForTcp(Proc p, int port, long deadlineNanos) throws Exception {
    while (System.nanoTime() < deadlineNanos) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException e) {
        if (!p.process.isAlive()) {
          throw new IllegalStateException(p.name + " exited with " + p.process.exitValue() + "; log: "
              + tail(p.log));
        }
        Thread.sleep(5);
      }
    }
    throw new IllegalStateException(p.name + ": port " + port + " not accepting before the deadline");
  }

  static String tail(Path log) {
    try {
      String s = Files.readString(log, StandardCharsets.UTF_8);
      return s.length() > 3000 ? s.substring(s.length() - 3000) : s;
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /**
   * A port p such that p-2, p and p+1 are free on 127.0.0.1 and 0.0.0.0 (the
   * Apache broker also listens on p-2, its "fast" port, and p+1, HA).
   */
  static int freePortTriple(Random rnd) {
    for (int i = 0; i < 200; i++) {
      int p = 20000 + rnd.nextInt(30000);
      if (free(p - 2) && free(p) && free(p + 1)) {
        return p;
      }
    }
    throw new IllegalStateException("no free port triple found");
  }

  static boolean free(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress("0.0.0.0", port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** VmRSS, RssAnon, RssFile, RssShmem in KiB from /proc/PID/status. */
  static Map<String, Long> rss(long pid) {
    Map<String, Long> out = new LinkedHashMap<>();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        for (String k : new String[] {"VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"}) {
          if (line.startsWith(k + ":")) {
            out.put(k + "_kib", Long.parseLong(line.substring(k.length() + 1).trim().split("\\s+")[0]));
          }
        }
      }
    } catch (IOException e) {
      out.put("error_gone", -1L);
    }
    return out;
  }

  /** utime + stime in clock ticks (10 ms) from /proc/PID/stat. */
  static long cpuTicks(long pid) {
    try {
      String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      // after "pid (comm) ": field 3 is f[0]; utime is field 14, stime 15.
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Allocated bytes of a folder, as du counts them. */
  static long duBytes(Path dir) {
    try {
      Process p = new ProcessBuilder("du", "-sk", dir.toString()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return -1;
      }
      return Long.parseLong(out.trim().split("\\s+")[0]) * 1024;
    } catch (Exception e) {
      return -1;
    }
  }
}
