// Helpers shared by storage's tests.
#pragma once

#include <string>
#include <vector>

#include "proto/record.pb.h"

namespace rewindmq::storage::testing {

inline std::vector<proto::Record> Records(
    const std::vector<std::string>& bodies) {
  std::vector<proto::Record> out;
  for (const std::string& b : bodies) {
    proto::Record r;
    r.set_body(b);
    out.push_back(std::move(r));
  }
  return out;
}

inline std::vector<proto::Record> Filler(int n, int body_bytes,
                                         const std::string& tag = "x") {
  std::vector<proto::Record> out(n);
  for (int i = 0; i < n; ++i) {
    out[i].set_body(tag + std::string(body_bytes, 'a' + (i % 26)));
  }
  return out;
}

}  // namespace rewindmq::storage::testing
