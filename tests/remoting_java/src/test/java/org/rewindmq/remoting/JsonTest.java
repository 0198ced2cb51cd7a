package org.rewindmq.remoting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The test's own JSON helper; needs no server. run.sh --fetch-only runs it so that
 * Surefire's JUnit Platform provider is resolved into the repository too.
 */
class JsonTest {
  @Test
  void parsesDmsAnswers() {
    Map<String, Object> m = Json.obj(Json.parse(
        "{\"queues\":[{\"broker_name\":\"broker-0\",\"queue_id\":0,\"timestamp_offset\":2}],"
            + "\"ok\":true,\"none\":null,\"f\":-1.5e3,\"s\":\"a\\\"b\\u00e9\\n\"}"));
    List<Object> q = Json.arr(m.get("queues"));
    assertEquals(1, q.size());
    assertEquals("broker-0", Json.obj(q.get(0)).get("broker_name"));
    assertEquals(2L, Json.num(Json.obj(q.get(0)).get("timestamp_offset")));
    assertEquals(Boolean.TRUE, m.get("ok"));
    assertNull(m.get("none"));
    assertEquals(-1500.0, (Double) m.get("f"));
    assertEquals("a\"b\u00e9\n", m.get("s"));
    assertEquals(List.of(), Json.parse(" [ ] "));
  }

  @Test
  void rejectsBrokenJson() {
    assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\":1"));
    assertThrows(IllegalArgumentException.class, () -> Json.parse("[1,]x"));
    assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\":1} 2"));
  }

  @Test
  void quotesStrings() {
    String q = Json.quote("x\"y\\z\n\u0001");
    assertEquals("\"x\\\"y\\\\z\\n\\u0001\"", q);
    assertEquals("x\"y\\z\n\u0001", Json.parse(q));
  }
}
