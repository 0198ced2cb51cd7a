#include "broker/facades/dms/render.h"

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <tuple>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "broker/facades/dms/route.h"

namespace rewindmq::facade::dms {
namespace {

namespace json = boost::json;

json::string_view Js(absl::string_view s) {
  return json::string_view(s.data(), s.size());
}

json::array StringArray(const std::vector<std::string>& v) {
  json::array a;
  for (const std::string& s : v) a.emplace_back(Js(s));
  return a;
}

json::array PropertyArray(const Properties& props) {
  json::array a;
  for (const auto& [name, value] : props) {
    a.emplace_back(json::object{{"name", Js(name)}, {"value", Js(value)}});
  }
  return a;
}

void AddPaging(json::object& o, const PageRequest& request, int64_t page_size,
               int64_t total) {
  const PageInfo info = ComputePageInfo(request, page_size, total);
  o["next_offset"] = info.next_offset;
  o["previous_offset"] = info.previous_offset;
}

// Groups rows by broker name (sorted by name, then by queue id) and renders
// each broker as {"broker_name":..., "queues":[render(row)...]}.
template <typename Row, typename RenderRow>
json::array ByBroker(std::vector<Row>& rows, RenderRow render) {
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.broker_name, a.queue_id) <
           std::tie(b.broker_name, b.queue_id);
  });
  json::array brokers;
  for (size_t i = 0; i < rows.size();) {
    json::array queues;
    size_t j = i;
    for (; j < rows.size() && rows[j].broker_name == rows[i].broker_name; ++j) {
      queues.emplace_back(render(rows[j]));
    }
    brokers.emplace_back(json::object{{"broker_name", Js(rows[i].broker_name)},
                                      {"queues", std::move(queues)}});
    i = j;
  }
  return brokers;
}

std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}

}  // namespace

std::string ToJson(const json::object& o) { return json::serialize(o); }

// ---- Instances ----------------------------------------------------------

json::object RenderInstance(const InstanceView& v) {
  json::object o;
  o["instance_id"] = Js(v.instance_id);
  o["name"] = Js(v.name);
  o["engine"] = "reliability";
  o["engine_version"] = "4.8.0";
  o["status"] = "RUNNING";
  o["type"] = "cluster";
  o["specification"] = "rewindmq emulator";
  o["description"] = "";
  o["broker_num"] = v.broker_num;
  o["created_at"] = absl::StrCat(v.created_at_ms);
  o["storage_space"] = 0;
  o["used_storage_space"] = 0;
  o["total_storage_space"] = 0;
  o["ssl_enable"] = false;
  o["enable_acl"] = false;
  o["enable_publicip"] = false;
  o["dns_enable"] = false;
  o["ipv6_enable"] = false;
  o["disk_encrypted"] = false;
  o["namesrv_address"] = Js(v.address);
  o["broker_address"] = Js(v.address);
  o["enterprise_project_id"] = "0";
  o["tags"] = json::array();
  return o;
}

std::vector<InstanceView> FilterInstances(const std::vector<InstanceView>& all,
                                          const ListInstancesQuery& q) {
  std::vector<InstanceView> out;
  if (q.engine.has_value() && *q.engine != "rocketmq" &&
      *q.engine != "reliability") {
    return out;
  }
  for (const InstanceView& v : all) {
    if (q.name.has_value()) {
      const bool match = q.exact_match_name
                             ? v.name == *q.name
                             : absl::StrContains(v.name, *q.name);
      if (!match) continue;
    }
    if (q.instance_id.has_value() && v.instance_id != *q.instance_id) continue;
    if (q.status.has_value() && *q.status != "RUNNING") continue;
    out.push_back(v);
  }
  return out;
}

json::object RenderInstanceList(const std::vector<InstanceView>& page,
                                int64_t total) {
  json::array a;
  for (const InstanceView& v : page) a.emplace_back(RenderInstance(v));
  return json::object{{"instances", std::move(a)}, {"instance_num", total}};
}

json::object RenderBrokers(const std::vector<std::string>& brokers) {
  json::array a;
  for (const std::string& b : brokers) {
    a.emplace_back(
        json::object{{"broker_name", Js(b)}, {"ids", json::array{0}}});
  }
  return json::object{{"total", static_cast<int64_t>(brokers.size())},
                      {"next_offset", -1},
                      {"previous_offset", -1},
                      {"brokers", std::move(a)}};
}

// ---- Topics -------------------------------------------------------------

json::object RenderTopic(const TopicView& v) {
  int64_t total_read = 0;
  int64_t total_write = 0;
  json::array brokers;
  for (const TopicView::Broker& b : v.brokers) {
    total_read += b.read_queue_num;
    total_write += b.write_queue_num;
    brokers.emplace_back(json::object{{"broker_name", Js(b.broker_name)},
                                      {"read_queue_num", b.read_queue_num},
                                      {"write_queue_num", b.write_queue_num}});
  }
  json::object o;
  o["name"] = Js(v.name);
  o["total_read_queue_num"] = total_read;
  o["total_write_queue_num"] = total_write;
  o["permission"] = Js(v.permission);
  o["created_at"] = v.created_at_ms;
  o["brokers"] = std::move(brokers);
  o["message_type"] = Js(v.message_type);
  return o;
}

json::object RenderTopicList(const std::vector<TopicView>& page,
                             const PageRequest& request, int64_t total,
                             int64_t max) {
  json::array topics;
  for (const TopicView& t : page) topics.emplace_back(RenderTopic(t));
  json::object o;
  o["total"] = total;
  o["max"] = max;
  o["remaining"] = std::max<int64_t>(0, max - total);
  AddPaging(o, request, static_cast<int64_t>(page.size()), total);
  o["topics"] = std::move(topics);
  return o;
}

json::object RenderTopicCreated(absl::string_view name) {
  return json::object{{"id", Js(name)}};
}

json::object RenderJob(absl::string_view job_id) {
  return json::object{{"job_id", Js(job_id)}};
}

json::object RenderTopicStatus(std::vector<QueueStatusView> queues) {
  int64_t min_sum = 0;
  int64_t max_sum = 0;
  for (const QueueStatusView& q : queues) {
    min_sum += q.min_offset;
    max_sum += q.max_offset;
  }
  json::array brokers = ByBroker(queues, [](const QueueStatusView& q) {
    return json::object{{"id", q.queue_id},
                        {"min_offset", q.min_offset},
                        {"max_offset", q.max_offset},
                        {"last_message_time", q.last_message_time_ms}};
  });
  json::object o;
  o["max_offset"] = max_sum;
  o["min_offset"] = min_sum;
  o["brokers"] = std::move(brokers);
  return o;
}

json::object RenderGroupsOfTopic(const std::vector<std::string>& page,
                                 int64_t total) {
  return json::object{{"groups", StringArray(page)}, {"total", total}};
}

// ---- Consumer groups ----------------------------------------------------

json::object RenderGroup(const GroupView& v, bool with_subscription_count) {
  json::object o;
  o["name"] = Js(v.name);
  o["enabled"] = v.enabled;
  o["broadcast"] = v.broadcast;
  o["brokers"] = StringArray(v.brokers);
  o["group_desc"] = Js(v.group_desc);
  o["retry_max_time"] = v.retry_max_time;
  o["created_at"] = v.created_at_ms;
  o["permissions"] = json::array();
  o["consume_orderly"] = v.consume_orderly;
  o["group_online"] = v.group_online;
  if (with_subscription_count) {
    o["topic_subscription_count"] = v.topic_subscription_count;
  }
  return o;
}

json::object RenderGroupList(const std::vector<GroupView>& page,
                             const PageRequest& request, int64_t total,
                             int64_t max) {
  json::array groups;
  for (const GroupView& g : page) groups.emplace_back(RenderGroup(g, true));
  json::object o;
  o["total"] = total;
  o["groups"] = std::move(groups);
  o["max"] = max;
  o["remaining"] = std::max<int64_t>(0, max - total);
  AddPaging(o, request, static_cast<int64_t>(page.size()), total);
  return o;
}

json::object RenderGroupCreated(absl::string_view name) {
  return json::object{{"name", Js(name)}};
}

json::object RenderGroupTopics(const std::vector<std::string>& page,
                               int64_t total) {
  return json::object{{"topics", StringArray(page)}, {"total", total}};
}

json::object RenderConsumptionDetails(std::vector<ConsumeQueueView> queues) {
  int64_t lag_sum = 0;
  int64_t max_sum = 0;
  int64_t consumer_sum = 0;
  for (const ConsumeQueueView& q : queues) {
    lag_sum += std::max<int64_t>(0, q.broker_offset - q.consumer_offset);
    max_sum += q.broker_offset;
    consumer_sum += q.consumer_offset;
  }
  json::array brokers = ByBroker(queues, [](const ConsumeQueueView& q) {
    return json::object{
        {"id", q.queue_id},
        {"lag", std::max<int64_t>(0, q.broker_offset - q.consumer_offset)},
        {"broker_offset", q.broker_offset},
        {"consumer_offset", q.consumer_offset},
        {"last_message_time", q.last_message_time_ms},
        {"client_id", Js(q.client_id)}};
  });
  json::object o;
  o["lag"] = lag_sum;
  o["max_offset"] = max_sum;
  o["consumer_offset"] = consumer_sum;
  o["brokers"] = std::move(brokers);
  return o;
}

json::object RenderConsumers(absl::string_view group,
                             const std::vector<ClientView>& all,
                             const ConsumersQuery& q) {
  auto key = [](const ClientView& c) {
    std::vector<std::tuple<std::string, std::string, std::string>> subs;
    for (const auto& s : c.subscriptions) {
      subs.emplace_back(s.topic, s.type, s.expression);
    }
    std::sort(subs.begin(), subs.end());
    return subs;
  };
  bool consistent = true;
  for (const ClientView& c : all) {
    if (key(c) != key(all.front())) consistent = false;
  }
  const std::vector<ClientView> page = Slice(all, q.page);
  json::array clients;
  for (const ClientView& c : page) {
    json::object co;
    co["language"] = Js(c.language);
    co["version"] = Js(c.version);
    co["client_id"] = Js(c.client_id);
    co["client_addr"] = Js(c.client_addr);
    co["consume_type"] = Js(c.consume_type);
    if (q.is_detail) {
      json::array subs;
      for (const auto& s : c.subscriptions) {
        subs.emplace_back(json::object{{"topic", Js(s.topic)},
                                       {"type", Js(s.type)},
                                       {"expression", Js(s.expression)}});
      }
      co["subscriptions"] = std::move(subs);
    }
    clients.emplace_back(std::move(co));
  }
  const auto total = static_cast<int64_t>(all.size());
  json::object o;
  o["group_name"] = Js(group);
  o["online"] = total > 0;
  o["subscription_consistency"] = consistent;
  o["total"] = total;
  AddPaging(o, q.page, static_cast<int64_t>(page.size()), total);
  o["clients"] = std::move(clients);
  return o;
}

// ---- Messages -----------------------------------------------------------

SplitProperties SplitMessageProperties(const Properties& properties) {
  SplitProperties out;
  for (const auto& [name, value] : properties) {
    if (name == "KEYS") {
      for (absl::string_view k :
           absl::StrSplit(value, ' ', absl::SkipEmpty())) {
        out.keys.emplace_back(k);
      }
    } else if (name == "TAGS") {
      if (!value.empty()) out.tags.push_back(value);
    } else if (name == "UNIQ_KEY") {
      continue;
    } else {
      out.user.emplace_back(name, value);
    }
  }
  return out;
}

json::object RenderSendResult(const SendMessageInput& in,
                              const SendResultView& r) {
  json::object o;
  o["topic"] = Js(in.topic);
  o["body"] = Js(in.body);
  o["property_list"] = PropertyArray(in.properties);
  o["msg_id"] = Js(r.msg_id);
  o["queue_id"] = r.queue_id;
  o["queue_offset"] = r.queue_offset;
  o["broker_name"] = Js(r.broker_name);
  return o;
}

uint32_t Crc32(absl::string_view data) {
  static const std::array<uint32_t, 256> table = MakeCrcTable();
  uint32_t c = 0xFFFFFFFFu;
  for (char ch : data) {
    c = table[(c ^ static_cast<unsigned char>(ch)) & 0xFF] ^ (c >> 8);
  }
  return c ^ 0xFFFFFFFFu;
}

json::object RenderMessage(const MessageView& m) {
  Properties props = m.properties;
  if (!m.keys.empty()) props.emplace_back("KEYS", absl::StrJoin(m.keys, " "));
  if (!m.tags.empty()) props.emplace_back("TAGS", absl::StrJoin(m.tags, "||"));
  // A RocketMQ client's own message id (UNIQ_KEY, what consoles show as
  // the message id) is kept; messages sent over REST get the broker's.
  bool has_uniq_key = false;
  for (const auto& [name, value] : props) has_uniq_key |= name == "UNIQ_KEY";
  if (!has_uniq_key) props.emplace_back("UNIQ_KEY", m.msg_id);
  const bool utf8 = IsValidUtf8(m.body);
  if (!utf8) props.emplace_back("__BODY_ENCODING", "base64");

  json::object o;
  o["msg_id"] = Js(m.msg_id);
  o["instance_id"] = Js(m.instance_id);
  o["topic"] = Js(m.topic);
  o["store_timestamp"] = m.store_timestamp_ms;
  o["born_timestamp"] = m.born_timestamp_ms;
  o["reconsume_times"] = m.reconsume_times;
  o["body"] = utf8 ? json::string(Js(m.body))
                   : json::string(Js(absl::Base64Escape(m.body)));
  o["body_crc"] = static_cast<int64_t>(Crc32(m.body) & 0x7FFFFFFFu);
  o["store_size"] = m.store_size;
  o["property_list"] = PropertyArray(props);
  o["born_host"] = Js(m.born_host);
  o["store_host"] = Js(m.store_host);
  o["queue_id"] = m.queue_id;
  o["queue_offset"] = m.queue_offset;
  return o;
}

json::object RenderMessages(const std::vector<MessageView>& page,
                            int64_t total) {
  json::array a;
  for (const MessageView& m : page) a.emplace_back(RenderMessage(m));
  return json::object{{"messages", std::move(a)}, {"total", total}};
}

json::object RenderResendResults(const std::vector<ResendResultView>& results) {
  json::array a;
  for (const ResendResultView& r : results) {
    a.emplace_back(json::object{{"msg_id", Js(r.msg_id)},
                                {"error_code", Js(r.error_code)},
                                {"error_message", Js(r.error_message)}});
  }
  return json::object{{"resend_results", std::move(a)}};
}

// ---- Reset --------------------------------------------------------------

json::object RenderResetResult(std::vector<ResetQueueView> queues) {
  std::stable_sort(queues.begin(), queues.end(),
                   [](const ResetQueueView& a, const ResetQueueView& b) {
                     return std::tie(a.broker_name, a.queue_id) <
                            std::tie(b.broker_name, b.queue_id);
                   });
  json::array a;
  for (const ResetQueueView& q : queues) {
    a.emplace_back(json::object{{"broker_name", Js(q.broker_name)},
                                {"queue_id", q.queue_id},
                                {"timestamp_offset", q.offset}});
  }
  return json::object{{"queues", std::move(a)}};
}

}  // namespace rewindmq::facade::dms
