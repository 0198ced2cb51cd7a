package org.rewindmq.dms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.huaweicloud.sdk.core.exception.ClientRequestException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.rewindmq.dms.Sdk.Position;
import org.rewindmq.dms.Sdk.Queue;

/** A server with --dms-credentials AK:SK: every request must carry that pair's signature. */
class SignedModeTest extends DmsSdkTest {
  @Override
  String serverCredentials() {
    return AK + ":" + SK;
  }

  @Test
  void wrongSecretKeyIsRefusedWithApigw0301AndChangesNothing() throws Exception {
    createTopic("refused_topic", 2);
    createGroup("refused_group");
    List<Position> sends = send("refused_topic", 4, "refused");
    Map<Queue, Long> earliest = new TreeMap<>();
    queuesOf(sends).forEach(q -> earliest.put(q, 0L));
    assertEquals(2, earliest.size(), "round robin reaches both queues: " + sends);
    reset(client, "refused_group", "refused_topic", 0);

    ClientRequestException e = assertThrows(ClientRequestException.class, () -> reset(
        Sdk.client(server.endpoint(), AK, SK + "x"), "refused_group", "refused_topic", -1));
    assertEquals(401, e.getHttpStatusCode(), e.toString());
    assertEquals("APIGW.0301", e.getErrorCode(), e.toString());
    assertTrue(e.getErrorMsg().startsWith("Incorrect IAM authentication information"),
        e.getErrorMsg());
    assertTrue(e.getRequestId().matches("[0-9a-f]{32}"), e.getRequestId());
    assertGroupAt("refused_group", "refused_topic", sends, earliest);
  }
}
