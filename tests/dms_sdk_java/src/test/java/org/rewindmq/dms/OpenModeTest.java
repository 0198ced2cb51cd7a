package org.rewindmq.dms;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.huaweicloud.sdk.rocketmq.v2.model.ShowInstanceRequest;
import org.junit.jupiter.api.Test;

/** A server without --dms-credentials: signatures are not checked. */
class OpenModeTest extends DmsSdkTest {
  @Override
  String serverCredentials() {
    return "";
  }

  @Test
  void anyKeyIsAccepted() {
    assertEquals(Sdk.INSTANCE_ID,
        Sdk.client(server.endpoint(), "SOMEOTHERAK000000000", "not-the-secret-key")
            .showInstance(new ShowInstanceRequest().withInstanceId(Sdk.INSTANCE_ID))
            .getInstanceId());
  }
}
