// The one place that turns a rocksdb::Status into an absl::Status.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/status.h"

namespace rewindmq::storage {

absl::Status FromRocksDb(const rocksdb::Status& s, absl::string_view what);

}  // namespace rewindmq::storage
