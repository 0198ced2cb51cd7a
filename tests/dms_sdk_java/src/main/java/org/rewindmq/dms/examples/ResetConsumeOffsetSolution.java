package org.rewindmq.dms.examples;

// The vendor's Java sample for reset-message-offset ("Resetting consumer
// offset of topic_01 to a specified time point"), as published, with these
// changes so that it runs against rewindmq:
//   - withEndpoints(List.of(...)) replaces withRegion(...): the endpoint comes
//     from REWINDMQ_ENDPOINT (default http://127.0.0.1:9555), and the now
//     unused RocketMQRegion import is dropped;
//   - the placeholders {project_id}, {engine}, {instance_id} and {group_id}
//     are filled in: any project id, the engine "reliability", rewindmq's
//     default instance and the group group_01;
//   - the package is this project's.
// The AK/SK still come from CLOUD_SDK_AK and CLOUD_SDK_SK. The test
// DmsSdkTest creates topic_01 and group_01 and runs this program in its own JVM.

import com.huaweicloud.sdk.core.auth.ICredential;
import com.huaweicloud.sdk.core.auth.BasicCredentials;
import com.huaweicloud.sdk.core.exception.ConnectionException;
import com.huaweicloud.sdk.core.exception.RequestTimeoutException;
import com.huaweicloud.sdk.core.exception.ServiceResponseException;
import com.huaweicloud.sdk.rocketmq.v2.*;
import com.huaweicloud.sdk.rocketmq.v2.model.*;
import java.util.List;

public class ResetConsumeOffsetSolution {

    public static void main(String[] args) {
        // The AK and SK used for authentication are hard-coded or stored in plaintext, which has great security risks. It is recommended that the AK and SK be stored in ciphertext in configuration files or environment variables and decrypted during use to ensure security.
        // In this example, AK and SK are stored in environment variables for authentication. Before running this example, set environment variables CLOUD_SDK_AK and CLOUD_SDK_SK in the local environment
        String ak = System.getenv("CLOUD_SDK_AK");
        String sk = System.getenv("CLOUD_SDK_SK");
        String projectId = "0123456789abcdef0123456789abcdef";
        String endpoint = System.getenv().getOrDefault("REWINDMQ_ENDPOINT", "http://127.0.0.1:9555");

        ICredential auth = new BasicCredentials()
                .withProjectId(projectId)
                .withAk(ak)
                .withSk(sk);

        RocketMQClient client = RocketMQClient.newBuilder()
                .withCredential(auth)
                .withEndpoints(List.of(endpoint))
                .build();
        ResetConsumeOffsetRequest request = new ResetConsumeOffsetRequest();
        request.withEngine(ResetConsumeOffsetRequest.EngineEnum.fromValue("reliability"));
        request.withInstanceId("00000000-0000-4000-8000-000000000001");
        request.withGroupId("group_01");
        ResetConsumeOffsetReq body = new ResetConsumeOffsetReq();
        body.withTimestamp("1662652800000");
        body.withTopic("topic_01");
        request.withBody(body);
        try {
            ResetConsumeOffsetResponse response = client.resetConsumeOffset(request);
            System.out.println(response.toString());
        } catch (ConnectionException e) {
            e.printStackTrace();
        } catch (RequestTimeoutException e) {
            e.printStackTrace();
        } catch (ServiceResponseException e) {
            e.printStackTrace();
            System.out.println(e.getHttpStatusCode());
            System.out.println(e.getRequestId());
            System.out.println(e.getErrorCode());
            System.out.println(e.getErrorMsg());
        }
    }
}
