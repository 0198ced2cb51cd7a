#include "broker/facades/tdmq/params.h"

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/text.h"
#include "broker/facades/tdmq/errors.h"
#include "broker/http/query.h"

namespace rewindmq::facade::tdmq {
namespace {

namespace json = boost::json;

absl::Status NotAnObject() {
  return TdmqStatus(kInvalidParameter,
                    "The request body is not a valid JSON object.");
}

// A SAX pass that only looks for keys repeated within one object, at any
// depth (Boost.JSON keeps the last of repeated keys without a word).
class DuplicateKeyFinder {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  std::optional<std::string> repeated;

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_array_begin(json::error_code&) {
    frames_.emplace_back(false);
    return true;
  }
  bool on_array_end(std::size_t, json::error_code&) {
    frames_.pop_back();
    return true;
  }
  bool on_object_begin(json::error_code&) {
    frames_.emplace_back(true);
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) {
    frames_.pop_back();
    return true;
  }
  bool on_string_part(json::string_view, std::size_t, json::error_code&) {
    return true;
  }
  bool on_string(json::string_view, std::size_t, json::error_code&) {
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    key_.append(s.data(), s.size());
    Frame& f = frames_.back();
    if (!f.keys.insert(key_).second) {
      repeated = std::move(key_);
      ec = json::error::syntax;  // stops the parse; the caller reports
      return false;
    }
    key_.clear();
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(int64_t, json::string_view, json::error_code&) { return true; }
  bool on_uint64(uint64_t, json::string_view, json::error_code&) {
    return true;
  }
  bool on_double(double, json::string_view, json::error_code&) { return true; }
  bool on_bool(bool, json::error_code&) { return true; }
  bool on_null(json::error_code&) { return true; }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  struct Frame {
    explicit Frame(bool is_object) : object(is_object) {}
    bool object;
    absl::flat_hash_set<std::string> keys;
  };
  std::vector<Frame> frames_;
  std::string key_;
};

// The v1 parameters of §3.2 that are not an action's own fields.
bool IsCommonParameter(absl::string_view name) {
  static constexpr absl::string_view kCommon[] = {
      "Action", "Version",       "Region",    "Timestamp",
      "Nonce",  "SecretId",      "Signature", "SignatureMethod",
      "Token",  "RequestClient", "Language"};
  return std::find(std::begin(kCommon), std::end(kCommon), name) !=
         std::end(kCommon);
}

bool IsIndex(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isdigit(c);
  });
}

// A flattened name's tree before arrays are known: every inner node is a
// map from the next name part to a child, a leaf holds the value.
struct Node {
  std::optional<std::string> value;
  std::map<std::string, Node> children;  // indices compare as numbers below
};

absl::StatusOr<json::value> ToJson(const Node& node, const std::string& path) {
  if (node.value.has_value()) {
    if (!node.children.empty()) {
      return InvalidParameterError(path, "given both as a value and a list");
    }
    return json::value(json::string(*node.value));
  }
  bool all_indices = true;
  for (const auto& [key, child] : node.children) all_indices &= IsIndex(key);
  if (!all_indices) {
    json::object o;
    for (const auto& [key, child] : node.children) {
      if (IsIndex(key)) {
        return InvalidParameterError(absl::StrCat(path, ".", key), "bad index");
      }
      absl::StatusOr<json::value> v =
          ToJson(child, absl::StrCat(path, ".", key));
      if (!v.ok()) return v.status();
      o.emplace(key, *std::move(v));
    }
    return json::value(std::move(o));
  }
  std::vector<std::pair<uint64_t, const Node*>> items;
  for (const auto& [key, child] : node.children) {
    uint64_t i = 0;
    if (key.size() > 1 && key[0] == '0') {
      return InvalidParameterError(absl::StrCat(path, ".", key), "bad index");
    }
    if (!absl::SimpleAtoi(key, &i)) {
      return InvalidParameterError(absl::StrCat(path, ".", key), "bad index");
    }
    items.emplace_back(i, &child);
  }
  std::sort(items.begin(), items.end());
  json::array a;
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].first != i) {
      return InvalidParameterError(path, "indices not consecutive");
    }
    absl::StatusOr<json::value> v =
        ToJson(*items[i].second, absl::StrCat(path, ".", i));
    if (!v.ok()) return v.status();
    a.push_back(*std::move(v));
  }
  return json::value(std::move(a));
}

const json::value* Find(const json::object& o, absl::string_view name) {
  auto it = o.find(json::string_view(name.data(), name.size()));
  if (it == o.end() || it->value().is_null()) return nullptr;
  return &it->value();
}

absl::StatusOr<std::optional<std::string>> ReadString(const json::value* v,
                                                      absl::string_view path) {
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) return InvalidParameterError(path, "wrong type");
  return std::string(v->get_string());
}

absl::StatusOr<std::optional<std::vector<std::string>>> ReadStrings(
    const json::value* v, absl::string_view path) {
  if (v == nullptr) return std::nullopt;
  if (!v->is_array()) return InvalidParameterError(path, "wrong type");
  std::vector<std::string> out;
  for (const json::value& e : v->get_array()) {
    if (!e.is_string()) return InvalidParameterError(path, "wrong type");
    out.emplace_back(e.get_string());
  }
  return out;
}

// A JSON number (or, flattened, a decimal string) as a signed 128-bit-safe
// pair: the magnitude fits in uint64 and `negative` tells the sign.
struct Integer {
  bool negative = false;
  uint64_t magnitude = 0;
};

absl::StatusOr<Integer> ReadInteger(const json::value& v, bool flattened,
                                    absl::string_view path) {
  if (flattened && v.is_string()) {
    absl::string_view s(v.get_string().data(), v.get_string().size());
    Integer out;
    if (!s.empty() && s[0] == '-') {
      out.negative = true;
      s.remove_prefix(1);
    }
    if (!IsIndex(s) || !absl::SimpleAtoi(s, &out.magnitude)) {
      return InvalidParameterError(path, "not an integer");
    }
    if (out.magnitude == 0) out.negative = false;
    return out;
  }
  switch (v.kind()) {
    case json::kind::int64: {
      const int64_t i = v.get_int64();
      if (i < 0) {
        return Integer{true, static_cast<uint64_t>(-(i + 1)) + 1};
      }
      return Integer{false, static_cast<uint64_t>(i)};
    }
    case json::kind::uint64:
      return Integer{false, v.get_uint64()};
    case json::kind::double_: {
      const double d = v.get_double();
      // 2^64 and beyond do not fit; neither does anything with a fraction.
      if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) >= 0x1p64) {
        return InvalidParameterError(path, "not an integer");
      }
      return Integer{d < 0, static_cast<uint64_t>(std::fabs(d))};
    }
    default:
      return InvalidParameterError(path, "wrong type");
  }
}

}  // namespace

absl::StatusOr<Params> Params::FromJson(absl::string_view body) {
  if (absl::StripAsciiWhitespace(body).empty()) {
    return Params(json::object(), false);
  }
  DuplicateKeyFinder finder;
  {
    json::basic_parser<DuplicateKeyFinder> sax(json::parse_options{});
    json::error_code ec;
    sax.write_some(false, body.data(), body.size(), ec);
    if (sax.handler().repeated.has_value()) {
      return InvalidParameterError(*sax.handler().repeated, "repeated");
    }
    if (ec) return NotAnObject();
  }
  json::error_code ec;
  json::value v = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec || !v.is_object()) return NotAnObject();
  return Params(std::move(v.get_object()), false);
}

absl::StatusOr<Params> Params::FromFlattened(absl::string_view encoded) {
  Node root;
  absl::flat_hash_set<std::string> seen;
  std::vector<std::string> order;
  for (const httpd::QueryItem& item : httpd::SplitQuery(encoded)) {
    std::optional<std::string> name = httpd::PercentDecode(item.name, true);
    std::optional<std::string> value = httpd::PercentDecode(item.value, true);
    if (!name.has_value() || !value.has_value()) {
      return InvalidParameterError(name.value_or(std::string(item.name)),
                                   "bad percent-encoding");
    }
    // JSON bodies must be UTF-8; so are flattened ones, once decoded.
    if (!IsValidUtf8(*name) || !IsValidUtf8(*value)) {
      return TdmqStatus(kInvalidParameter,
                        "A parameter name or value is not valid UTF-8.");
    }
    if (IsCommonParameter(*name)) continue;
    if (!seen.insert(*name).second) {
      return InvalidParameterError(*name, "repeated");
    }
    std::vector<std::string> parts = absl::StrSplit(*name, '.');
    if (parts.front().empty() || IsIndex(parts.front())) {
      return InvalidParameterError(*name, "bad index");
    }
    Node* node = &root;
    for (const std::string& part : parts) {
      if (part.empty()) return InvalidParameterError(*name, "bad index");
      node = &node->children[part];
    }
    node->value = *std::move(value);
    if (std::find(order.begin(), order.end(), parts.front()) == order.end()) {
      order.push_back(parts.front());
    }
  }
  json::object object;
  for (const std::string& top : order) {
    absl::StatusOr<json::value> v = ToJson(root.children.at(top), top);
    if (!v.ok()) return v.status();
    object.emplace(top, *std::move(v));
  }
  return Params(std::move(object), true);
}

absl::Status Params::CheckKnown(
    std::initializer_list<absl::string_view> known) const {
  for (const json::key_value_pair& kv : object_) {
    const absl::string_view key(kv.key().data(), kv.key().size());
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return UnknownParameterError(key);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> Params::String(
    absl::string_view name) const {
  return ReadString(Find(object_, name), name);
}

absl::StatusOr<std::optional<uint64_t>> Params::U64(
    absl::string_view name) const {
  const json::value* v = Find(object_, name);
  if (v == nullptr) return std::nullopt;
  absl::StatusOr<Integer> i = ReadInteger(*v, flattened_, name);
  if (!i.ok()) return i.status();
  if (i->negative) return ValueOutOfRange(name);
  return i->magnitude;
}

absl::StatusOr<std::optional<int64_t>> Params::I64(
    absl::string_view name) const {
  const json::value* v = Find(object_, name);
  if (v == nullptr) return std::nullopt;
  absl::StatusOr<Integer> i = ReadInteger(*v, flattened_, name);
  if (!i.ok()) return i.status();
  constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
  if (i->magnitude > kMax + (i->negative ? 1 : 0)) {
    return InvalidParameterError(name, "not a 64-bit integer");
  }
  if (!i->negative) return static_cast<int64_t>(i->magnitude);
  return i->magnitude == kMax + 1 ? std::numeric_limits<int64_t>::min()
                                  : -static_cast<int64_t>(i->magnitude);
}

absl::StatusOr<std::optional<bool>> Params::Bool(absl::string_view name) const {
  const json::value* v = Find(object_, name);
  if (v == nullptr) return std::nullopt;
  if (v->is_bool()) return v->get_bool();
  if (flattened_ && v->is_string()) {
    const json::string& s = v->get_string();
    // Python's SDK writes its booleans as str(True): "True", "False".
    if (s == "true" || s == "True" || s == "1") return true;
    if (s == "false" || s == "False" || s == "0") return false;
  }
  return InvalidParameterError(name, "wrong type");
}

absl::StatusOr<std::optional<std::vector<std::string>>> Params::Strings(
    absl::string_view name) const {
  return ReadStrings(Find(object_, name), name);
}

absl::StatusOr<std::string> Params::RequiredString(
    absl::string_view name) const {
  absl::StatusOr<std::optional<std::string>> s = String(name);
  if (!s.ok()) return s.status();
  if (!s->has_value() || (*s)->empty()) return MissingParameterError(name);
  return **std::move(s);
}

absl::StatusOr<std::optional<std::vector<Params::Element>>> Params::Objects(
    absl::string_view name,
    std::initializer_list<absl::string_view> known) const {
  const json::value* v = Find(object_, name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_array()) return InvalidParameterError(name, "wrong type");
  std::vector<Element> out;
  for (const json::value& e : v->get_array()) {
    std::string path = absl::StrCat(name, ".", out.size());
    if (!e.is_object()) return InvalidParameterError(path, "wrong type");
    for (const json::key_value_pair& kv : e.get_object()) {
      const absl::string_view key(kv.key().data(), kv.key().size());
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        return UnknownParameterError(absl::StrCat(path, ".", key));
      }
    }
    out.push_back({&e.get_object(), std::move(path)});
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> Params::String(
    const Element& e, absl::string_view name) const {
  return ReadString(Find(*e.fields, name), absl::StrCat(e.path, ".", name));
}

absl::StatusOr<std::optional<std::vector<std::string>>> Params::Strings(
    const Element& e, absl::string_view name) const {
  return ReadStrings(Find(*e.fields, name), absl::StrCat(e.path, ".", name));
}

}  // namespace rewindmq::facade::tdmq
