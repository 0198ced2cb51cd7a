package org.rewindmq.bench.remoting;

import com.alibaba.fastjson.JSON;
import com.alibaba.fastjson.JSONObject;
import com.alibaba.fastjson.serializer.SerializerFeature;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Merges the per-system JSON files into results.json and prints the table
 * (results.txt).
 *
 * <pre>
 * Report --out DIR --rewindmq FILE --apache FILE [--command "..."] [--load-before "..."]
 * </pre>
 */
public final class Report {
  public static void main(String[] a) throws Exception {
    Map<String, String> o = new LinkedHashMap<>();
    for (int i = 0; i + 1 < a.length; i += 2) o.put(a[i], a[i + 1]);
    Path out = Path.of(o.get("--out"));
    JSONObject rw = load(Path.of(o.get("--rewindmq")));
    JSONObject ap = load(Path.of(o.get("--apache")));

    settingsFrom = ap;
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("command", o.getOrDefault("--command", ""));
    all.put("machine", machine(o.getOrDefault("--load-before", "")));
    all.put("rewindmq", rw);
    all.put("apache", ap);

    List<String[]> rows = new ArrayList<>();
    rows.add(row("start -> first send OK (ms, lower is better)", rw, ap, "startup.first_send_ok_ms", 0));
    rows.add(row("produce 100 B, sync, " + setting(rw, "producer_threads") + " threads (msgs/s)", rw, ap,
        "produce_100b.msgs_per_s", 0));
    rows.add(row("produce 1 KiB (msgs/s)", rw, ap, "produce_1k.msgs_per_s", 0));
    rows.add(row("produce 1 KiB (MiB/s)", rw, ap, "produce_1k.mib_per_s", 1));
    rows.add(row("send latency 100 B p50 (ms)", rw, ap, "produce_100b.send_latency_ms.p50", 2));
    rows.add(row("send latency 100 B p99 (ms)", rw, ap, "produce_100b.send_latency_ms.p99", 2));
    rows.add(row("push consume 100 B backlog (msgs/s)", rw, ap, "consume_100b.msgs_per_s", 0));
    rows.add(row("end-to-end latency p50 (ms) @" + setting(rw, "e2e_rate_per_s") + "/s", rw, ap,
        "e2e_latency.latency_ms.p50", 2));
    rows.add(row("end-to-end latency p99 (ms)", rw, ap, "e2e_latency.latency_ms.p99", 2));
    rows.add(row("searchOffset p50 (ms)", rw, ap, "search_offset.latency_ms.p50", 3));
    rows.add(row("searchOffset p99 (ms)", rw, ap, "search_offset.latency_ms.p99", 3));
    rows.add(rssRow("server RSS idle (MiB)", rw, ap, "rss_idle"));
    rows.add(rssRow("server RSS after load (MiB)", rw, ap, "rss_after_load"));
    rows.add(row("server CPU, produce 100 B (s)", rw, ap, "produce_100b.server_cpu_s", 1));
    rows.add(row("client CPU, produce 100 B (s)", rw, ap, "produce_100b.client_cpu_s", 1));
    rows.add(row("server CPU, consume 100 B (s)", rw, ap, "consume_100b.server_cpu_s", 1));
    rows.add(diskRow(rw, ap));

    StringBuilder sb = new StringBuilder();
    sb.append("rewindmq vs Apache RocketMQ ").append(str(ap, "server.version").replace(
        "org.apache.rocketmq:rocketmq-broker/rocketmq-namesrv ", "")).append(", client ")
        .append(setting(rw, "client")).append('\n');
    sb.append("messages: ").append(setting(rw, "messages_100b")).append(" x 100 B, ")
        .append(setting(rw, "messages_1k")).append(" x 1 KiB, ").append(setting(rw, "queues"))
        .append(" queues; load average before: ").append(o.getOrDefault("--load-before", "?"))
        .append("; rewindmq run: ").append(str(rw, "load_avg_start")).append(" -> ").append(str(rw, "load_avg_end"))
        .append("; Apache run: ").append(str(ap, "load_avg_start")).append(" -> ").append(str(ap, "load_avg_end"))
        .append('\n');
    sb.append("durability: rewindmq ").append(str(rw, "server.durability")).append("; Apache ")
        .append(str(ap, "server.durability")).append("\n\n");
    String[] head = {"metric", "rewindmq", "Apache RocketMQ", "ratio (rewindmq/Apache)"};
    int[] w = new int[4];
    for (int i = 0; i < 4; i++) w[i] = head[i].length();
    for (String[] r : rows) for (int i = 0; i < 4; i++) w[i] = Math.max(w[i], r[i].length());
    line(sb, head, w);
    sb.append(String.format("%s-|-%s-|-%s-|-%s%n", "-".repeat(w[0]), "-".repeat(w[1]), "-".repeat(w[2]),
        "-".repeat(w[3])));
    for (String[] r : rows) line(sb, r, w);
    sb.append('\n');
    for (String[] sysName : new String[][] {{"rewindmq", null}, {"Apache RocketMQ", null}}) {
      JSONObject s = sysName[0].equals("rewindmq") ? rw : ap;
      sb.append("checks, ").append(sysName[0]).append(": ").append(JSON.toJSONString(s.get("verify"))).append('\n');
      List<String> errs = errors(s);
      for (String e : errs) sb.append("  ERROR ").append(e).append('\n');
    }
    Files.createDirectories(out);
    Files.writeString(out.resolve("results.txt"), sb.toString(), StandardCharsets.UTF_8);
    Files.writeString(out.resolve("results.json"), JSON.toJSONString(all, SerializerFeature.PrettyFormat,
        SerializerFeature.DisableCircularReferenceDetect) + "\n", StandardCharsets.UTF_8);
    System.out.print(sb);
  }

  static JSONObject load(Path p) throws Exception {
    if (!Files.exists(p)) {
      JSONObject o = new JSONObject();
      o.put("fatal_error", "no result file " + p);
      return o;
    }
    return JSON.parseObject(Files.readString(p, StandardCharsets.UTF_8));
  }

  static List<String> errors(JSONObject s) {
    List<String> out = new ArrayList<>();
    if (s.get("fatal_error") != null) out.add("fatal: " + s.get("fatal_error"));
    for (String k : s.keySet()) {
      Object v = s.get(k);
      if (v instanceof JSONObject && ((JSONObject) v).get("error") != null) {
        out.add(k + ": " + ((JSONObject) v).get("error"));
      }
      if (v instanceof JSONObject && ((JSONObject) v).get("first_error") != null) {
        out.add(k + " (retried by the benchmark, " + ((JSONObject) v).get("failed_attempts")
            + " failed attempts): first error " + ((JSONObject) v).get("first_error"));
      }
    }
    return out;
  }

  static void line(StringBuilder sb, String[] r, int[] w) {
    sb.append(String.format("%-" + w[0] + "s | %" + w[1] + "s | %" + w[2] + "s | %" + w[3] + "s%n", r[0], r[1],
        r[2], r[3]));
  }

  static Object get(JSONObject o, String path) {
    Object cur = o;
    for (String k : path.split("\\.")) {
      if (!(cur instanceof JSONObject)) return null;
      cur = ((JSONObject) cur).get(k);
    }
    return cur;
  }

  static String str(JSONObject o, String path) {
    Object v = get(o, path);
    return v == null ? "?" : String.valueOf(v);
  }

  static JSONObject settingsFrom;

  static String setting(JSONObject o, String k) {
    return str(get(o, "settings") != null || settingsFrom == null ? o : settingsFrom, "settings." + k);
  }

  static Double num(JSONObject o, String path) {
    Object v = get(o, path);
    return v instanceof Number ? ((Number) v).doubleValue() : null;
  }

  static String fmt(Double v, int decimals) {
    if (v == null) return "n/a";
    return String.format("%,." + decimals + "f", v);
  }

  static String[] row(String name, JSONObject rw, JSONObject ap, String path, int decimals) {
    return cells(name, failedOr(rw, path), failedOr(ap, path), decimals);
  }

  /** null when the phase failed (shown as FAILED). */
  static Double failedOr(JSONObject o, String path) {
    String phase = path.split("\\.")[0];
    Object p = o.get(phase);
    if (p instanceof JSONObject && ((JSONObject) p).get("error") != null) return Double.NaN;
    return num(o, path);
  }

  static String[] cells(String name, Double a, Double b, int decimals) {
    String ratio = a != null && b != null && !a.isNaN() && !b.isNaN() && b != 0
        ? String.format("%.2fx", a / b) : "n/a";
    return new String[] {name, cellOf(a, decimals), cellOf(b, decimals), ratio};
  }

  static String cellOf(Double v, int decimals) {
    if (v != null && v.isNaN()) return "FAILED";
    return fmt(v, decimals);
  }

  static String[] rssRow(String name, JSONObject rw, JSONObject ap, String key) {
    Double a = num(rw, key + ".total_VmRSS_kib");
    Double b = num(ap, key + ".total_VmRSS_kib");
    String[] r = cells(name, a == null ? null : a / 1024, b == null ? null : b / 1024, 1);
    Double ns = num(ap, key + ".namesrv.VmRSS_kib");
    Double br = num(ap, key + ".broker.VmRSS_kib");
    if (ns != null && br != null) {
      r[2] = String.format("%,.1f (broker %,.1f + namesrv %,.1f)", b / 1024, br / 1024, ns / 1024);
    }
    return r;
  }

  static String[] diskRow(JSONObject rw, JSONObject ap) {
    Double a = num(rw, "disk_after_load_bytes");
    Double b = num(ap, "disk_after_load_bytes");
    return cells("data folder after load, allocated (MiB)", a == null ? null : a / 1048576,
        b == null ? null : b / 1048576, 1);
  }

  static Map<String, Object> machine(String loadBefore) {
    Map<String, Object> m = new LinkedHashMap<>();
    try {
      for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (l.startsWith("model name")) {
          m.put("cpu", l.substring(l.indexOf(':') + 1).trim());
          break;
        }
      }
      m.put("cores", Runtime.getRuntime().availableProcessors());
      for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (l.startsWith("MemTotal")) m.put("mem", l.substring(9).trim());
      }
      m.put("kernel", System.getProperty("os.version"));
      m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
      m.put("load_avg_before", loadBefore);
      m.put("load_avg_at_report", Files.readString(Path.of("/proc/loadavg")).trim());
    } catch (Exception e) {
      m.put("error", String.valueOf(e));
    }
    return m;
  }
}
