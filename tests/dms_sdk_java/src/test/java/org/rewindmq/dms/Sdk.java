package org.rewindmq.dms;

import com.huaweicloud.sdk.core.auth.BasicCredentials;
import com.huaweicloud.sdk.core.http.HttpMethod;
import com.huaweicloud.sdk.core.utils.JsonUtils;
import com.huaweicloud.sdk.rocketmq.v2.RocketMQClient;
import com.huaweicloud.sdk.rocketmq.v2.model.ResetConsumeOffsetResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The SDK as the tests use it: clients, the REST send, and the shapes they compare. */
final class Sdk {
  /** rewindmq's default instance (broker/facades/dms/README.md); any project id works. */
  static final String INSTANCE_ID = "00000000-0000-4000-8000-000000000001";
  static final String PROJECT_ID = "0123456789abcdef0123456789abcdef";
  static final String ENGINE = "reliability";

  private static final Set<String> RESTRICTED_HEADERS = Set.of("host", "content-length");
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private Sdk() {}

  /** A queue of a topic: broker name and queue id. */
  record Queue(String broker, int id) implements Comparable<Queue> {
    @Override
    public int compareTo(Queue o) {
      int c = broker.compareTo(o.broker);
      return c != 0 ? c : Integer.compare(id, o.id);
    }

    @Override
    public String toString() {
      return broker + "/" + id;
    }
  }

  /** Where a message landed, or where a reset put a group: a queue and an offset. */
  record Position(Queue queue, long offset) {
    @Override
    public String toString() {
      return queue + "@" + offset;
    }
  }

  static BasicCredentials credentials(String ak, String sk) {
    return new BasicCredentials().withAk(ak).withSk(sk).withProjectId(PROJECT_ID);
  }

  /** A client pointed at `endpoint` with the documented endpoint override. */
  static RocketMQClient client(String endpoint, String ak, String sk) {
    return RocketMQClient.newBuilder()
        .withCredential(credentials(ak, sk))
        .withEndpoints(List.of(endpoint))
        .build();
  }

  /**
   * Sends one message with POST /v2/{engine}/{project_id}/instances/{instance_id}/messages.
   * This SDK release has no sendMessage, so the request is made with java.net.http and signed
   * by the SDK's own credentials (BasicCredentials.syncProcessAuthRequest), as the SDK signs
   * every call it makes.
   */
  static Position send(String endpoint, String ak, String sk, String topic, String body,
      String key) throws Exception {
    String path = "/v2/" + ENGINE + "/" + PROJECT_ID + "/instances/" + INSTANCE_ID + "/messages";
    Map<String, Object> message = new LinkedHashMap<>();
    message.put("topic", topic);
    message.put("body", body);
    message.put("property_list", List.of(Map.of("name", "KEYS", "value", key)));
    String json = JsonUtils.toJSON(message);

    com.huaweicloud.sdk.core.http.HttpRequest signed = credentials(ak, sk).syncProcessAuthRequest(
        com.huaweicloud.sdk.core.http.HttpRequest.newBuilder()
            .withEndpoint(endpoint)
            .withPath(path)
            .withMethod(HttpMethod.POST)
            .withContentType("application/json")
            .withBodyAsString(json)
            .build(),
        null);
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(endpoint + path))
        .timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8));
    signed.getHeaders().forEach((name, values) -> {
      if (!RESTRICTED_HEADERS.contains(name.toLowerCase())) {
        values.forEach(v -> request.header(name, v));
      }
    });
    HttpResponse<String> r = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new AssertionError("send to " + topic + ": " + r.statusCode() + " " + r.body());
    }
    Map<String, Object> answer = JsonUtils.toMapObject(r.body(), Object.class);
    if (!topic.equals(answer.get("topic")) || !body.equals(answer.get("body"))
        || !String.valueOf(answer.get("msg_id")).matches("[0-9A-F]{32}")) {
      throw new AssertionError("send to " + topic + " answered " + r.body());
    }
    return new Position(
        new Queue((String) answer.get("broker_name"), ((Number) answer.get("queue_id")).intValue()),
        ((Number) answer.get("queue_offset")).longValue());
  }

  /** The queues of a ResetConsumeOffsetResponse, in the order the answer lists them. */
  static List<Position> positions(ResetConsumeOffsetResponse r) {
    List<Position> out = new ArrayList<>();
    r.getQueues().forEach(q -> out.add(
        new Position(new Queue(q.getBrokerName(), q.getQueueId()), q.getTimestampOffset())));
    return out;
  }

  private static final Pattern PRINTED_QUEUE = Pattern.compile(
      "class ResetConsumeOffsetRespQueues \\{\\s*brokerName: (\\S+)\\s*queueId: (\\d+)"
          + "\\s*timestampOffset: (-?\\d+)\\s*\\}");

  /**
   * The queues of a ResetConsumeOffsetResponse as the vendor sample prints it (the model's
   * toString()); throws when `printed` is anything else, such as the sample's error lines.
   */
  static List<Position> parsePrintedResponse(String printed) {
    String text = printed.strip();
    if (!text.startsWith("class ResetConsumeOffsetResponse {") || !text.endsWith("}")) {
      throw new AssertionError("not a printed ResetConsumeOffsetResponse:\n" + printed);
    }
    List<Position> out = new ArrayList<>();
    Matcher m = PRINTED_QUEUE.matcher(text);
    while (m.find()) {
      out.add(new Position(new Queue(m.group(1), Integer.parseInt(m.group(2))),
          Long.parseLong(m.group(3))));
    }
    int listed = text.split("class ResetConsumeOffsetRespQueues", -1).length - 1;
    if (listed != out.size()) {
      throw new AssertionError("could not read every queue of:\n" + printed);
    }
    return out;
  }
}
