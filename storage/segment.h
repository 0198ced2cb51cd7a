// One append-only segment file, mapped read-only for readers. Internal to
// storage.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/frame.h"

namespace rewindmq::storage {

// The file `<dir>/<base_offset, 20 digits>.seg` (compact frames) or
// `.log` (fixed frames, from earlier versions). Writes go through
// write(2) at the end of the file; reads go through a shared read-only
// mapping that covers `map_bytes` (the file may grow into it; pages past
// the end of the file are never touched because readers stay below the
// published size).
//
// Not thread-safe by itself: QueueLogImpl serializes writers and makes
// readers stay below the size it has published.
class SegmentFile {
 public:
  // Creates a new, empty file for frames of kWriteFormat (fails if it
  // exists) and syncs the directory when `sync_dir`.
  static absl::StatusOr<std::unique_ptr<SegmentFile>> Create(
      const std::string& dir, int64_t base_offset, int64_t map_bytes,
      bool sync_dir);
  // Opens an existing file whose frames have `format`; its size is taken
  // from the file system.
  static absl::StatusOr<std::unique_ptr<SegmentFile>> Open(
      const std::string& path, int64_t base_offset, FrameFormat format,
      int64_t map_bytes);

  static std::string FileName(int64_t base_offset, FrameFormat format);
  // Parses a FileName(); false for anything else.
  static bool ParseFileName(absl::string_view name, int64_t* base_offset,
                            FrameFormat* format);

  SegmentFile(const SegmentFile&) = delete;
  SegmentFile& operator=(const SegmentFile&) = delete;
  ~SegmentFile();

  // Writes `data` at the current end. On failure the file is cut back to
  // its previous size, so a failed append leaves nothing behind.
  // ResourceExhausted: disk full or file size limit. Unavailable: other
  // I/O errors.
  absl::Status Append(absl::string_view data);
  absl::Status Sync();
  // Cuts the file to `size` bytes (recovery of a torn tail).
  absl::Status Truncate(int64_t size);
  // Closes and unlinks the file.
  absl::Status Remove();

  // Bytes [pos, pos + n) of the file. REQUIRES: pos + n <= size() and
  // pos + n <= capacity().
  absl::string_view View(int64_t pos, int64_t n) const {
    return absl::string_view(map_ + pos, static_cast<size_t>(n));
  }

  int64_t base_offset() const { return base_offset_; }
  FrameFormat format() const { return format_; }
  FrameContext frame_context() const { return {format_, base_offset_}; }
  int64_t size() const { return size_; }
  int64_t capacity() const { return map_bytes_; }
  const std::string& path() const { return path_; }

 private:
  SegmentFile(std::string path, int fd, int64_t base_offset, FrameFormat format,
              int64_t size, int64_t map_bytes, const char* map);

  const std::string path_;
  int fd_;
  const int64_t base_offset_;
  const FrameFormat format_;
  int64_t size_;
  const int64_t map_bytes_;
  const char* map_;
};

// fsync of a directory, so that created or removed entries survive a crash.
absl::Status SyncDir(const std::string& dir);

// Maps errno after a failed I/O call to a Status naming `what`.
absl::Status ErrnoStatus(int err, absl::string_view what);

}  // namespace rewindmq::storage
