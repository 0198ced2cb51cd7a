#include "storage/options.h"

#include "absl/strings/str_cat.h"

namespace rewindmq::storage {

absl::StatusOr<Durability> ParseDurability(absl::string_view text) {
  if (text == "always") return Durability::kAlways;
  if (text == "interval") return Durability::kInterval;
  if (text == "never") return Durability::kNever;
  return absl::InvalidArgumentError(absl::StrCat(
      "durability \"", text, "\" is not one of always, interval, never"));
}

absl::string_view DurabilityName(Durability d) {
  switch (d) {
    case Durability::kAlways:
      return "always";
    case Durability::kInterval:
      return "interval";
    case Durability::kNever:
      return "never";
  }
  return "unknown";
}

}  // namespace rewindmq::storage
