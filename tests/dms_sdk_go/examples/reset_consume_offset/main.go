// The vendor's Go sample for reset-message-offset ("Resetting consumer offset
// of topic_01 to a specified time point"), as published, with these changes
// so that it builds against the pinned SDK and runs against rewindmq:
//   - WithEndpoints([]string{...}) replaces WithRegion(...): the endpoint
//     comes from REWINDMQ_ENDPOINT (default http://127.0.0.1:9555), and the
//     now unused region import is dropped;
//   - the placeholders are filled in: any project id, the engine enum's
//     RELIABILITY (the sample's ENGINE), rewindmq's default instance and the
//     group group_01;
//   - "os" is imported (the published sample calls os.Getenv without it).
//
// The AK/SK still come from CLOUD_SDK_AK and CLOUD_SDK_SK. The test
// dms_sdk_test.go creates topic_01 and group_01 and runs this program.
package main

import (
	"fmt"
	"os"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	rocketmq "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/rocketmq/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/rocketmq/v2/model"
)

func main() {
	// The AK and SK used for authentication are hard-coded or stored in plaintext, which has great security risks. It is recommended that the AK and SK be stored in ciphertext in configuration files or environment variables and decrypted during use to ensure security.
	// In this example, AK and SK are stored in environment variables for authentication. Before running this example, set environment variables CLOUD_SDK_AK and CLOUD_SDK_SK in the local environment
	ak := os.Getenv("CLOUD_SDK_AK")
	sk := os.Getenv("CLOUD_SDK_SK")
	projectId := "0123456789abcdef0123456789abcdef"

	auth := basic.NewCredentialsBuilder().
		WithAk(ak).
		WithSk(sk).
		WithProjectId(projectId).
		Build()

	endpoint := os.Getenv("REWINDMQ_ENDPOINT")
	if endpoint == "" {
		endpoint = "http://127.0.0.1:9555"
	}
	client := rocketmq.NewRocketMQClient(
		rocketmq.RocketMQClientBuilder().
			WithEndpoints([]string{endpoint}).
			WithCredential(auth).
			Build())

	request := &model.ResetConsumeOffsetRequest{}
	request.Engine = model.GetResetConsumeOffsetRequestEngineEnum().RELIABILITY
	request.InstanceId = "00000000-0000-4000-8000-000000000001"
	request.GroupId = "group_01"
	request.Body = &model.ResetConsumeOffsetReq{
		Timestamp: "1662652800000",
		Topic:     "topic_01",
	}
	response, err := client.ResetConsumeOffset(request)
	if err == nil {
		fmt.Printf("%+v\n", response)
	} else {
		fmt.Println(err)
	}
}
