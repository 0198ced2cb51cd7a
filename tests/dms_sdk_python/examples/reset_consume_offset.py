# coding: utf-8
# The vendor's Python sample for reset-message-offset ("Resetting consumer
# offset of topic_01 to a specified time point"), as published, with three
# changes so that it runs against rewindmq:
#   - with_endpoints([...]) replaces with_region(...): the endpoint comes from
#     REWINDMQ_ENDPOINT (default http://127.0.0.1:9555);
#   - the placeholders {project_id}, {engine}, {instance_id} and {group_id}
#     are filled in: any project id, the engine "reliability", rewindmq's
#     default instance and the group group_01;
#   - the now unused RocketMQRegion import is dropped.
# The AK/SK still come from CLOUD_SDK_AK and CLOUD_SDK_SK. The test
# test_dms_sdk.py creates topic_01 and group_01 and runs this file as it is.

import os
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions import exceptions
from huaweicloudsdkrocketmq.v2 import *

if __name__ == "__main__":
    # The AK and SK used for authentication are hard-coded or stored in plaintext, which has great security risks. It is recommended that the AK and SK be stored in ciphertext in configuration files or environment variables and decrypted during use to ensure security.
    # In this example, AK and SK are stored in environment variables for authentication. Before running this example, set environment variables CLOUD_SDK_AK and CLOUD_SDK_SK in the local environment
    ak = os.environ["CLOUD_SDK_AK"]
    sk = os.environ["CLOUD_SDK_SK"]
    projectId = "0123456789abcdef0123456789abcdef"

    credentials = BasicCredentials(ak, sk, projectId)

    client = RocketMQClient.new_builder() \
        .with_credentials(credentials) \
        .with_endpoints([os.environ.get("REWINDMQ_ENDPOINT", "http://127.0.0.1:9555")]) \
        .build()

    try:
        request = ResetConsumeOffsetRequest()
        request.engine = "reliability"
        request.instance_id = "00000000-0000-4000-8000-000000000001"
        request.group_id = "group_01"
        request.body = ResetConsumeOffsetReq(
            timestamp="1662652800000",
            topic="topic_01"
        )
        response = client.reset_consume_offset(request)
        print(response)
    except exceptions.ClientRequestException as e:
        print(e.status_code)
        print(e.request_id)
        print(e.error_code)
        print(e.error_msg)
