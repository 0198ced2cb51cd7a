#include "storage/segment.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace rewindmq::storage {
namespace {

constexpr absl::string_view kFixedSuffix = ".log";
constexpr absl::string_view kCompactSuffix = ".seg";
constexpr int kDigits = 20;

absl::StatusOr<const char*> Map(int fd, int64_t bytes,
                                const std::string& path) {
  void* p =
      ::mmap(nullptr, static_cast<size_t>(bytes), PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return ErrnoStatus(errno, absl::StrCat("mmap ", path));
  return static_cast<const char*>(p);
}

}  // namespace

absl::Status ErrnoStatus(int err, absl::string_view what) {
  std::string msg = absl::StrCat(what, ": ", std::strerror(err));
  switch (err) {
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return absl::ResourceExhaustedError(msg);
    case ENOENT:
      return absl::NotFoundError(msg);
    case EEXIST:
      return absl::AlreadyExistsError(msg);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::FailedPreconditionError(msg);
    default:
      return absl::UnavailableError(msg);
  }
}

absl::Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", dir));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus(err, absl::StrCat("fsync ", dir));
  return absl::OkStatus();
}

std::string SegmentFile::FileName(int64_t base_offset, FrameFormat format) {
  return absl::StrFormat(
      "%020d%s", base_offset,
      format == FrameFormat::kFixed ? kFixedSuffix : kCompactSuffix);
}

bool SegmentFile::ParseFileName(absl::string_view name, int64_t* base_offset,
                                FrameFormat* format) {
  if (name.size() != kDigits + kFixedSuffix.size()) return false;
  const absl::string_view suffix = name.substr(kDigits);
  if (suffix == kFixedSuffix) {
    *format = FrameFormat::kFixed;
  } else if (suffix == kCompactSuffix) {
    *format = FrameFormat::kCompact;
  } else {
    return false;
  }
  absl::string_view digits = name.substr(0, kDigits);
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return absl::SimpleAtoi(digits, base_offset) && *base_offset >= 0;
}

absl::StatusOr<std::unique_ptr<SegmentFile>> SegmentFile::Create(
    const std::string& dir, int64_t base_offset, int64_t map_bytes,
    bool sync_dir) {
  std::string path =
      absl::StrCat(dir, "/", FileName(base_offset, kWriteFormat));
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("create ", path));
  absl::StatusOr<const char*> map = Map(fd, map_bytes, path);
  if (!map.ok()) {
    ::close(fd);
    ::unlink(path.c_str());
    return map.status();
  }
  if (sync_dir) {
    if (absl::Status s = SyncDir(dir); !s.ok()) {
      ::munmap(const_cast<char*>(*map), static_cast<size_t>(map_bytes));
      ::close(fd);
      ::unlink(path.c_str());
      return s;
    }
  }
  return std::unique_ptr<SegmentFile>(new SegmentFile(
      std::move(path), fd, base_offset, kWriteFormat, 0, map_bytes, *map));
}

absl::StatusOr<std::unique_ptr<SegmentFile>> SegmentFile::Open(
    const std::string& path, int64_t base_offset, FrameFormat format,
    int64_t map_bytes) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", path));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus(err, absl::StrCat("stat ", path));
  }
  const int64_t size = st.st_size;
  const int64_t bytes = std::max<int64_t>({map_bytes, size, 1});
  absl::StatusOr<const char*> map = Map(fd, bytes, path);
  if (!map.ok()) {
    ::close(fd);
    return map.status();
  }
  return std::unique_ptr<SegmentFile>(
      new SegmentFile(path, fd, base_offset, format, size, bytes, *map));
}

SegmentFile::SegmentFile(std::string path, int fd, int64_t base_offset,
                         FrameFormat format, int64_t size, int64_t map_bytes,
                         const char* map)
    : path_(std::move(path)),
      fd_(fd),
      base_offset_(base_offset),
      format_(format),
      size_(size),
      map_bytes_(map_bytes),
      map_(map) {}

SegmentFile::~SegmentFile() {
  if (map_ != nullptr) {
    ::munmap(const_cast<char*>(map_), static_cast<size_t>(map_bytes_));
  }
  if (fd_ >= 0) ::close(fd_);
}

absl::Status SegmentFile::Append(absl::string_view data) {
  const char* p = data.data();
  size_t left = data.size();
  int64_t pos = size_;
  while (left > 0) {
    ssize_t n = ::pwrite(fd_, p, left, pos);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : ENOSPC;
      // Leave no partial batch behind; if even this fails, recovery's
      // checksum scan drops the torn bytes on the next open.
      if (::ftruncate(fd_, size_) != 0) {
        // Nothing more to do here; the next open truncates the tail.
      }
      return ErrnoStatus(err, absl::StrCat("write ", path_));
    }
    p += n;
    left -= static_cast<size_t>(n);
    pos += n;
  }
  size_ = pos;
  return absl::OkStatus();
}

absl::Status SegmentFile::Sync() {
  if (::fdatasync(fd_) != 0) {
    return ErrnoStatus(errno, absl::StrCat("fdatasync ", path_));
  }
  return absl::OkStatus();
}

absl::Status SegmentFile::Truncate(int64_t size) {
  if (::ftruncate(fd_, size) != 0) {
    return ErrnoStatus(errno, absl::StrCat("truncate ", path_));
  }
  size_ = size;
  return absl::OkStatus();
}

absl::Status SegmentFile::Remove() {
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("unlink ", path_));
  }
  return absl::OkStatus();
}

}  // namespace rewindmq::storage
