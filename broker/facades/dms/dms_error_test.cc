#include "broker/facades/dms/dms_error.h"

#include <boost/json/parse.hpp>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace rewindmq::facade::dms {
namespace {

namespace http = boost::beast::http;
using ::testing::Optional;

struct Row {
  DmsCode code;
  http::status status;
  const char* error_code;
  const char* error_msg;
};

// Spec §9 and §1.6, verbatim.
TEST(MakeDmsErrorTest, EveryCodeHasTheSpecsStatusCodeAndMessage) {
  const Row rows[] = {
      {DmsCode::kProjectIdInvalid, http::status::bad_request, "DMS.00400002",
       "The project ID format is invalid."},
      {DmsCode::kBodyEmpty, http::status::bad_request, "DMS.00400004",
       "The request body is empty."},
      {DmsCode::kBodyNotJson, http::status::bad_request, "DMS.00400005",
       "The message body is not in JSON format or contains invalid "
       "characters."},
      {DmsCode::kTimestampInvalid, http::status::bad_request, "DMS.00400142",
       "Timestamp is invalid."},
      {DmsCode::kInvalidParameter, http::status::bad_request, "DMS.00400800",
       "Invalid request parameter. Check the request parameter."},
      {DmsCode::kTopicNotFound, http::status::bad_request, "DMS.00400876",
       "The topic does not exist."},
      {DmsCode::kTopicExists, http::status::bad_request, "DMS.40050005",
       "Requested topic already exists."},
      {DmsCode::kGroupExists, http::status::bad_request, "DMS.40050015",
       "Consumer group exists."},
      {DmsCode::kGroupOffline, http::status::bad_request, "DMS.50050004",
       "The consumer group is offline."},
      {DmsCode::kRouteNotFound, http::status::not_found, "DMS.00404001",
       "The requested URL does not exist."},
      {DmsCode::kInstanceNotFound, http::status::not_found, "DMS.00404022",
       "This instance does not exist."},
      {DmsCode::kGroupNotFound, http::status::not_found, "DMS.10240405",
       "The consumption group ID is incorrect or not found."},
      {DmsCode::kMethodNotAllowed, http::status::method_not_allowed,
       "DMS.00405001", "This request method is not allowed."},
      {DmsCode::kBusy, http::status::service_unavailable, "APIGW.0308",
       "The throttling threshold has been reached: the server is busy, retry "
       "later."},
      {DmsCode::kInternal, http::status::internal_server_error, "DMS.00500000",
       "Internal service error."},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.error_code);
    EXPECT_EQ(MakeDmsError(r.code),
              (DmsError{r.status, r.error_code, r.error_msg}));
    EXPECT_EQ(DmsErrorCodeString(r.code), r.error_code);
  }
}

TEST(MakeDmsErrorTest, InvalidParameterAppendsTheDetail) {
  EXPECT_EQ(
      MakeDmsError(DmsCode::kInvalidParameter, "limit must be 1-50").error_msg,
      "Invalid request parameter. Check the request parameter.: limit "
      "must be 1-50");
}

TEST(MakeDmsErrorTest, FixedMessagesIgnoreTheDetail) {
  EXPECT_EQ(MakeDmsError(DmsCode::kTopicNotFound, "orders").error_msg,
            "The topic does not exist.");
}

TEST(MakeDmsErrorTest, AuthFailuresAre401WithTheGatewayPrefix) {
  DmsError e = MakeDmsError(DmsCode::kAuthFailed, "verify aksk signature fail");
  EXPECT_EQ(e.status, http::status::unauthorized);
  EXPECT_EQ(e.error_code, "APIGW.0301");
  EXPECT_EQ(e.error_msg,
            "Incorrect IAM authentication information: verify aksk signature "
            "fail");
}

TEST(DmsStatusTest, RoundTripsTheCodeThroughAStatus) {
  absl::Status s = DmsStatus(DmsCode::kTimestampInvalid, "timestamp is 1.5");
  EXPECT_THAT(s, rmqtest::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DmsCodeOf(s), Optional(DmsCode::kTimestampInvalid));
  EXPECT_THAT(DmsErrorFromPayload(s),
              Optional(MakeDmsError(DmsCode::kTimestampInvalid)));
}

TEST(DmsStatusTest, TheAbslCodeFollowsTheKindOfError) {
  EXPECT_THAT(DmsStatus(DmsCode::kGroupNotFound),
              rmqtest::StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(DmsStatus(DmsCode::kTopicExists),
              rmqtest::StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(DmsStatus(DmsCode::kAuthFailed),
              rmqtest::StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(DmsStatus(DmsCode::kInternal),
              rmqtest::StatusIs(absl::StatusCode::kInternal));
}

TEST(DmsStatusTest, TheInvalidParameterDetailSurvivesTheRoundTrip) {
  absl::Status s = DmsStatus(DmsCode::kInvalidParameter, "topic is missing");
  EXPECT_THAT(
      DmsErrorFromPayload(s),
      Optional(MakeDmsError(DmsCode::kInvalidParameter, "topic is missing")));
}

TEST(DmsStatusTest, MessageTooLargeNamesSizeAndLimit) {
  absl::Status s = MessageTooLargeStatus(5000000, 4194304);
  std::optional<DmsError> e = DmsErrorFromPayload(s);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->error_code, "DMS.10540011");
  EXPECT_EQ(e->error_msg,
            "The message size is 5000000, larger than the size limit 4194304.");
}

TEST(DmsStatusTest, AStatusWithoutPayloadHasNoDmsCode) {
  EXPECT_EQ(DmsCodeOf(absl::NotFoundError("x")), std::nullopt);
  EXPECT_EQ(DmsCodeOf(absl::OkStatus()), std::nullopt);
  EXPECT_EQ(DmsErrorFromPayload(absl::InternalError("x")), std::nullopt);
}

TEST(DmsErrorFromCodeTest, ClientFaultsAreInvalidParameterAndTheRestInternal) {
  EXPECT_EQ(DmsErrorFromCode(absl::InvalidArgumentError("bad name")),
            MakeDmsError(DmsCode::kInvalidParameter, "bad name"));
  EXPECT_EQ(DmsErrorFromCode(absl::OutOfRangeError("offset 9")).error_code,
            "DMS.00400800");
  EXPECT_EQ(DmsErrorFromCode(absl::DataLossError("/var/lib/x crc")),
            MakeDmsError(DmsCode::kInternal));
  EXPECT_EQ(DmsErrorFromCode(absl::UnavailableError("rocksdb busy")),
            MakeDmsError(DmsCode::kInternal));
}

TEST(RenderErrorBodyTest, ServiceErrorsHaveExactlyCodeAndMessage) {
  std::string body = RenderErrorBody(MakeDmsError(DmsCode::kTopicNotFound),
                                     "4c1f0b5e0a3d4d1f9c2b7e6a5d4c3b2a");
  EXPECT_EQ(
      body,
      R"({"error_code":"DMS.00400876","error_msg":"The topic does not exist."})");
}

TEST(RenderErrorBodyTest, GatewayErrorsAlsoCarryTheRequestId) {
  std::string body =
      RenderErrorBody(MakeDmsError(DmsCode::kAuthFailed, "ak X not exist"),
                      "4c1f0b5e0a3d4d1f9c2b7e6a5d4c3b2a");
  boost::json::value v = boost::json::parse(body);
  EXPECT_EQ(v.at("error_code").as_string(), "APIGW.0301");
  EXPECT_EQ(v.at("error_msg").as_string(),
            "Incorrect IAM authentication information: ak X not exist");
  EXPECT_EQ(v.at("request_id").as_string(), "4c1f0b5e0a3d4d1f9c2b7e6a5d4c3b2a");
}

TEST(RenderErrorBodyTest, AMessageQuotingInvalidUtf8IsStillValidJson) {
  // `?action=%E4elete`: the decoded query value is quoted in the message.
  std::string body = RenderErrorBody(MakeDmsError(DmsCode::kInvalidParameter,
                                                  "unknown action \xE4"
                                                  "elete"),
                                     "4c1f0b5e0a3d4d1f9c2b7e6a5d4c3b2a");
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  ASSERT_FALSE(ec) << body;
  EXPECT_EQ(v.at("error_msg").as_string(),
            "Invalid request parameter. Check the request parameter.: "
            "unknown action \uFFFD"
            "elete");
}

}  // namespace
}  // namespace rewindmq::facade::dms
