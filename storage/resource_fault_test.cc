// What the store does when its resources fail: a file-size limit or a full
// file system under a segment or under RocksDB, a data folder it may not
// write, and RocksDB files that are missing or damaged. For each: a clear
// error, nothing acknowledged lost, no partial record, and writes working
// again once the cause is gone, without reopening the store.
//
// The file-size limit is RLIMIT_FSIZE on this process (soft limit only, so
// it can be raised again; SIGXFSZ is ignored so writes fail with EFBIG).
// Folder permissions are enforced on an unprivileged effective uid: when
// running as root, the store runs under seteuid(nobody) for those tests.
// The full file system is a tmpfs; tests needing it skip when mounting is
// not permitted.
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/queue_log.h"
#include "storage/segment.h"
#include "storage/store.h"
#include "storage/test_records.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rewindmq::storage {
namespace {

using ::rmqtest::IsOk;
using ::rmqtest::StatusIs;
using ::testing::AnyOf;
using testing::Filler;
using ::testing::HasSubstr;

namespace fs = std::filesystem;

constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;
// Longer than StoreImpl::kResumeInterval, with room for a busy machine.
constexpr absl::Duration kRecoveryDeadline = absl::Seconds(10);

int64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

// Every regular file under `dir` (recursively) with its contents.
std::vector<std::pair<std::string, std::string>> Snapshot(
    const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) {
      out.emplace_back(e.path().string(), ReadFile(e.path().string()));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::pair<std::string, std::string>> SegmentSnapshot(
    const std::string& dir) {
  return Snapshot(dir + "/queues");
}

// Files of the RocksDB folder whose name ends with `suffix` (or starts with
// it, for "MANIFEST-").
std::vector<std::string> DbFiles(const std::string& dir,
                                 const std::string& pattern) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir + "/db")) {
    const std::string name = e.path().filename().string();
    if (absl::EndsWith(name, pattern) || absl::StartsWith(name, pattern)) {
      out.push_back(e.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// RLIMIT_FSIZE of this process, restored on destruction.
class ScopedFileSizeLimit {
 public:
  explicit ScopedFileSizeLimit(int64_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    Set(static_cast<rlim_t>(bytes));
  }
  ~ScopedFileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    ::signal(SIGXFSZ, old_handler_);
  }
  void Raise() { Set(saved_.rlim_cur); }

 private:
  void Set(rlim_t soft) {
    rlimit r = saved_;
    r.rlim_cur = std::min(soft, saved_.rlim_max);
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &r), 0) << std::strerror(errno);
  }

  rlimit saved_{};
  sighandler_t old_handler_ = SIG_DFL;
};

// Runs as an unprivileged user while it lives when the process is root
// (root ignores permission bits); otherwise does nothing.
class ScopedUnprivileged {
 public:
  ScopedUnprivileged() {
    if (::geteuid() != 0) return;
    active_ = ::setegid(kNogroup) == 0 && ::seteuid(kNobody) == 0;
  }
  ~ScopedUnprivileged() {
    if (!active_) return;
    if (::seteuid(0) != 0 || ::setegid(0) != 0) std::abort();
  }
  bool ok() const { return active_ || ::geteuid() != 0; }

 private:
  bool active_ = false;
};

// A directory the unprivileged user owns (so it can create the store and
// change its modes), removed by the ScopedTempDir holding it.
std::string UnprivilegedDir(const rmqtest::ScopedTempDir& tmp) {
  const std::string dir = tmp.Sub("store");
  fs::create_directories(dir);
  if (::geteuid() == 0) {
    EXPECT_EQ(::chown(tmp.path().c_str(), kNobody, kNogroup), 0);
    EXPECT_EQ(::chown(dir.c_str(), kNobody, kNogroup), 0);
  }
  return dir;
}

// chmod of `root` and every folder under it to `dir_mode`, and of every
// file to `file_mode` unless it is 0.
void SetModes(const std::string& root, mode_t dir_mode, mode_t file_mode) {
  std::vector<std::string> dirs = {root};
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_directory()) {
      dirs.push_back(e.path().string());
    } else if (file_mode != 0) {
      EXPECT_EQ(::chmod(e.path().c_str(), file_mode), 0) << e.path();
    }
  }
  // Deepest first, so that the walk above never meets a closed folder.
  std::sort(dirs.rbegin(), dirs.rend());
  for (const std::string& d : dirs) {
    EXPECT_EQ(::chmod(d.c_str(), dir_mode), 0) << d;
  }
}

std::vector<std::string> Bodies(QueueLog* log) {
  std::vector<std::string> out;
  Offset next = log->min_offset();
  for (int i = 0; i < 100000 && next < log->max_offset(); ++i) {
    absl::StatusOr<std::vector<proto::Record>> got = log->Read(next, 256);
    if (!got.ok() || got->empty()) {
      ADD_FAILURE() << "read at " << next.value << ": " << got.status();
      break;
    }
    for (const proto::Record& r : *got) out.push_back(r.body());
    next = Offset{next.value + static_cast<int64_t>(got->size())};
  }
  return out;
}

std::string Body(int i) {
  return absl::StrCat("record-", i, "-", std::string(3000, 'a' + i % 26));
}

// ---------------------------------------------------------------------------
// A file-size limit (EFBIG).

class FileSizeLimitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.segment_bytes = int64_t{4} << 20;
    options_.durability = Durability::kNever;
    ASSERT_OK_AND_ASSIGN(store_, Store::Open(tmp_.path(), options_));
    ASSERT_OK_AND_ASSIGN(log_, store_->CreateQueue());
  }

  rmqtest::ScopedTempDir tmp_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
  QueueLog* log_ = nullptr;
};

TEST_F(FileSizeLimitTest, SegmentAtTheLimitFailsWholeAndRecoversOnceRaised) {
  const std::string segment =
      absl::StrFormat("%s/queues/%016x/%s", tmp_.path(), log_->id().value,
                      SegmentFile::FileName(0, kWriteFormat));
  std::vector<std::string> acked;
  absl::Status failure;
  {
    ScopedFileSizeLimit limit(64 << 10);
    for (int i = 0; i < 100; ++i) {
      absl::StatusOr<AppendResult> r =
          log_->Append(testing::Records({Body(i)}));
      if (!r.ok()) {
        failure = r.status();
        break;
      }
      acked.push_back(Body(i));
    }
    ASSERT_THAT(failure, StatusIs(absl::StatusCode::kResourceExhausted));
    EXPECT_THAT(failure.message(), HasSubstr(segment));
    EXPECT_THAT(failure.message(), HasSubstr("File too large"));
    // No partial record: the file ends where the last acknowledged one did.
    EXPECT_EQ(FileSize(segment), log_->Stats().size_bytes);
    EXPECT_EQ(log_->max_offset().value, static_cast<int64_t>(acked.size()));
    // Reads go on.
    EXPECT_EQ(Bodies(log_), acked);

    limit.Raise();
    ASSERT_OK_AND_ASSIGN(AppendResult r,
                         log_->Append(testing::Records({"after"})));
    EXPECT_EQ(r.first.value, static_cast<int64_t>(acked.size()));
    acked.push_back("after");
  }
  const QueueId id = log_->id();
  store_.reset();
  ASSERT_OK_AND_ASSIGN(store_, Store::Open(tmp_.path(), options_));
  ASSERT_OK_AND_ASSIGN(log_, store_->Queue(id));
  EXPECT_EQ(Bodies(log_), acked);
}

TEST_F(FileSizeLimitTest, RocksDbAtTheLimitFailsThenResumesWithoutReopening) {
  const int64_t wal = FileSize(DbFiles(tmp_.path(), ".log").back());
  std::vector<std::string> keys;
  absl::Status failure;
  {
    ScopedFileSizeLimit limit(wal + (48 << 10));
    const std::string value(1000, 'v');
    for (int i = 0; i < 1000; ++i) {
      const std::string key = absl::StrCat("key-", i);
      absl::Status s = store_->kv().Put(key, value);
      if (!s.ok()) {
        failure = s;
        break;
      }
      keys.push_back(key);
    }
    ASSERT_FALSE(failure.ok()) << "the limit was never reached";
    EXPECT_THAT(failure, AnyOf(StatusIs(absl::StatusCode::kUnavailable),
                               StatusIs(absl::StatusCode::kResourceExhausted)));
    EXPECT_THAT(failure.message(), HasSubstr("writing metadata"));
    EXPECT_THAT(failure.message(), HasSubstr("File too large"));
    // Until the cause is gone, writes keep failing and reads keep working.
    EXPECT_FALSE(store_->kv().Put("while-limited", value).ok());
    EXPECT_THAT(store_->kv().Get(keys.front()), IsOk());
    EXPECT_THAT(store_->kv().Get(keys.back()), IsOk());
    // Records still append: their index entries are rebuilt on open.
    ASSERT_THAT(log_->Append(testing::Records({"during"})), IsOk());

    limit.Raise();
    absl::Status s;
    const absl::Time deadline = absl::Now() + kRecoveryDeadline;
    for (int i = 0; i < 1000 && absl::Now() < deadline; ++i) {
      s = store_->kv().Put("after", value);
      if (s.ok()) break;
      absl::SleepFor(absl::Milliseconds(50));
    }
    ASSERT_OK(s);
    keys.push_back("after");
  }
  ASSERT_THAT(log_->Append(testing::Records({"after"})), IsOk());
  const QueueId id = log_->id();
  store_.reset();
  ASSERT_OK_AND_ASSIGN(store_, Store::Open(tmp_.path(), options_));
  for (const std::string& key : keys) {
    EXPECT_THAT(store_->kv().Get(key), IsOk()) << key;
  }
  ASSERT_OK_AND_ASSIGN(log_, store_->Queue(id));
  EXPECT_THAT(Bodies(log_), ::testing::ElementsAre("during", "after"));
  ASSERT_OK_AND_ASSIGN(TimeLookup found,
                       log_->FirstOffsetAtOrAfter(absl::UnixEpoch()));
  EXPECT_EQ(found.offset, Offset{0});
}

// ---------------------------------------------------------------------------
// A full file system (ENOSPC), on a tmpfs.

class FullFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mount_ = tmp_.Sub("mnt");
    fs::create_directories(mount_);
    if (::mount("tmpfs", mount_.c_str(), "tmpfs", 0, "size=2m") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs (" << std::strerror(errno)
                   << "); needs root with CAP_SYS_ADMIN";
    }
    mounted_ = true;
  }
  void TearDown() override {
    store_.reset();
    if (mounted_) ::umount2(mount_.c_str(), MNT_DETACH);
  }

  rmqtest::ScopedTempDir tmp_;
  std::string mount_;
  bool mounted_ = false;
  std::unique_ptr<Store> store_;
};

TEST_F(FullFileSystemTest, WritesFailWithResourceExhaustedAndResumeOnceFreed) {
  StoreOptions options;
  options.segment_bytes = 256 << 10;
  options.durability = Durability::kNever;
  const std::string dir = mount_ + "/store";
  ASSERT_OK_AND_ASSIGN(store_, Store::Open(dir, options));
  ASSERT_OK_AND_ASSIGN(QueueLog * log, store_->CreateQueue());
  // Space the test can give back.
  const std::string ballast = mount_ + "/ballast";
  WriteFile(ballast, std::string(512 << 10, 'b'));

  std::vector<std::string> acked;
  absl::Status failure;
  for (int i = 0; i < 2000; ++i) {
    absl::StatusOr<AppendResult> r = log->Append(testing::Records({Body(i)}));
    if (!r.ok()) {
      failure = r.status();
      break;
    }
    acked.push_back(Body(i));
  }
  ASSERT_THAT(failure, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(failure.message(), HasSubstr("No space left on device"));
  EXPECT_THAT(store_->kv().Put("k", std::string(64 << 10, 'v')),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(Bodies(log), acked);

  ASSERT_EQ(::unlink(ballast.c_str()), 0);
  absl::Status s;
  const absl::Time deadline = absl::Now() + kRecoveryDeadline;
  for (int i = 0; i < 1000 && absl::Now() < deadline; ++i) {
    s = store_->kv().Put("k", "v");
    if (s.ok()) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_OK(s);
  ASSERT_THAT(log->Append(testing::Records({"after"})), IsOk());
  acked.push_back("after");

  const QueueId id = log->id();
  store_.reset();
  ASSERT_OK_AND_ASSIGN(store_, Store::Open(dir, options));
  ASSERT_OK_AND_ASSIGN(log, store_->Queue(id));
  EXPECT_EQ(Bodies(log), acked);
  EXPECT_THAT(store_->kv().Get("k"), IsOk());
}

// ---------------------------------------------------------------------------
// A data folder the store may not write.

TEST(ReadOnlyFolderTest, OpenFailsNamingTheFolderAndCreatesNothing) {
  rmqtest::ScopedTempDir tmp;
  const std::string dir = UnprivilegedDir(tmp);
  ScopedUnprivileged user;
  ASSERT_TRUE(user.ok());
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Store::Open(dir));
    ASSERT_OK_AND_ASSIGN(QueueLog * log, store->CreateQueue());
    ASSERT_THAT(log->Append(testing::Records({"a", "b"})), IsOk());
  }
  const auto before = Snapshot(dir);
  struct Case {
    const char* what;
    std::string root;
    bool files;
  };
  for (const Case& c : {Case{"every folder", dir, false},
                        Case{"the RocksDB folder", dir + "/db", false},
                        Case{"every folder and file", dir, true}}) {
    SetModes(c.root, 0555, c.files ? 0444 : 0);
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir);
    EXPECT_FALSE(store.ok()) << c.what;
    EXPECT_THAT(store.status().message(), HasSubstr(dir)) << c.what;
    EXPECT_THAT(store.status().message(), HasSubstr("Permission denied"))
        << c.what;
    store = absl::UnknownError("closed");  // release before the next case
    SetModes(c.root, 0755, c.files ? 0644 : 0);
    EXPECT_EQ(Snapshot(dir), before) << c.what;
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Store::Open(dir));
  ASSERT_OK_AND_ASSIGN(QueueLog * log, store->Queue(QueueId{1}));
  EXPECT_THAT(Bodies(log), ::testing::ElementsAre("a", "b"));
}

TEST(ReadOnlyFolderTest, RollIntoAnUnwritableQueueFolderFailsUntilWritable) {
  rmqtest::ScopedTempDir tmp;
  const std::string dir = UnprivilegedDir(tmp);
  ScopedUnprivileged user;
  ASSERT_TRUE(user.ok());
  StoreOptions options;
  options.segment_bytes = 4096;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Store::Open(dir, options));
  ASSERT_OK_AND_ASSIGN(QueueLog * log, store->CreateQueue());
  ASSERT_THAT(log->Append(testing::Records({Body(0)})), IsOk());
  const std::string queue_dir =
      absl::StrFormat("%s/queues/%016x", dir, log->id().value);

  ASSERT_EQ(::chmod(queue_dir.c_str(), 0555), 0);
  absl::StatusOr<AppendResult> failed =
      log->Append(testing::Records({Body(1), Body(2)}));
  EXPECT_THAT(failed, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(failed.status().message(), HasSubstr(queue_dir));
  EXPECT_THAT(failed.status().message(), HasSubstr("Permission denied"));
  EXPECT_EQ(log->max_offset(), Offset{1});
  EXPECT_EQ(Bodies(log), std::vector<std::string>{Body(0)});

  ASSERT_EQ(::chmod(queue_dir.c_str(), 0755), 0);
  ASSERT_OK_AND_ASSIGN(AppendResult r,
                       log->Append(testing::Records({Body(1), Body(2)})));
  EXPECT_EQ(r.first, Offset{1});
  const QueueId id = log->id();
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, Store::Open(dir, options));
  ASSERT_OK_AND_ASSIGN(log, store->Queue(id));
  EXPECT_EQ(Bodies(log), (std::vector<std::string>{Body(0), Body(1), Body(2)}));
}

// ---------------------------------------------------------------------------
// Missing or damaged RocksDB files, with the store closed.

enum class Damage {
  kDeleteCurrent,
  kDeleteManifest,
  kDeleteSst,
  kTruncateSst,
  kFlipSst,
  kDeleteDbFolder,
  kFlipWalMiddle,
  kTruncateWalTail,
};

struct DamageCase {
  Damage damage;
  const char* name;
  // What opening the damaged store must say; nullptr when it opens.
  const char* error;
};

class RocksDbDamageTest : public ::testing::TestWithParam<DamageCase> {
 protected:
  // A closed store with one queue of kRecords records, their index entries
  // and some key-value pairs; in SST files, or only in the WAL when `wal`.
  void Populate(bool wal) {
    {
      ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                           Store::Open(tmp_.path(), options_));
      ASSERT_OK_AND_ASSIGN(QueueLog * log, store->CreateQueue());
      for (int i = 0; i < kRecords; ++i) {
        ASSERT_THAT(log->Append(testing::Records({Body(i)})), IsOk());
        ASSERT_OK(store->kv().Put(absl::StrCat("key-", i), Body(i)));
      }
    }
    if (!wal) {
      // Opening replays the WAL into SST files.
      ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                           Store::Open(tmp_.path(), options_));
    }
  }

  void ExpectIntact() {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                         Store::Open(tmp_.path(), options_));
    ASSERT_OK_AND_ASSIGN(QueueLog * log, store->Queue(QueueId{1}));
    std::vector<std::string> want;
    for (int i = 0; i < kRecords; ++i) want.push_back(Body(i));
    EXPECT_EQ(Bodies(log), want);
    for (int i = 0; i < kRecords; ++i) {
      EXPECT_THAT(store->kv().Get(absl::StrCat("key-", i)), IsOk());
    }
  }

  static constexpr int kRecords = 40;
  rmqtest::ScopedTempDir tmp_;
  StoreOptions options_{.index_interval_bytes = 4096};
};

void FlipByte(const std::string& path, int64_t pos) {
  std::string bytes = ReadFile(path);
  ASSERT_LT(pos, static_cast<int64_t>(bytes.size())) << path;
  bytes[pos] = static_cast<char>(bytes[pos] ^ 0x5a);
  WriteFile(path, bytes);
}

TEST_P(RocksDbDamageTest, OpenSaysWhatIsWrongAndRestoringTheFileRecovers) {
  const DamageCase& c = GetParam();
  const bool wal = c.damage == Damage::kFlipWalMiddle ||
                   c.damage == Damage::kTruncateWalTail;
  Populate(wal);
  const std::string db = tmp_.Sub("db");
  const std::string backup = tmp_.Sub("db-backup");
  fs::copy(db, backup, fs::copy_options::recursive);
  const auto segments = SegmentSnapshot(tmp_.path());

  switch (c.damage) {
    case Damage::kDeleteCurrent:
      fs::remove(db + "/CURRENT");
      break;
    case Damage::kDeleteManifest:
      for (const std::string& f : DbFiles(tmp_.path(), "MANIFEST-")) {
        fs::remove(f);
      }
      break;
    case Damage::kDeleteSst:
      ASSERT_FALSE(DbFiles(tmp_.path(), ".sst").empty());
      fs::remove(DbFiles(tmp_.path(), ".sst").front());
      break;
    case Damage::kTruncateSst: {
      const std::string sst = DbFiles(tmp_.path(), ".sst").front();
      fs::resize_file(sst, fs::file_size(sst) / 2);
      break;
    }
    case Damage::kFlipSst:
      // Inside the first data block, which every open reads through the
      // queue registry, the index or the metadata.
      for (const std::string& sst : DbFiles(tmp_.path(), ".sst")) {
        FlipByte(sst, 20);
      }
      break;
    case Damage::kDeleteDbFolder:
      fs::remove_all(db);
      break;
    case Damage::kFlipWalMiddle: {
      const std::string log = DbFiles(tmp_.path(), ".log").back();
      FlipByte(log, static_cast<int64_t>(fs::file_size(log) / 2));
      break;
    }
    case Damage::kTruncateWalTail: {
      const std::string log = DbFiles(tmp_.path(), ".log").back();
      fs::resize_file(log, fs::file_size(log) - 7);
      break;
    }
  }

  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::Open(tmp_.path(), options_);
  if (c.error == nullptr) {
    // A torn WAL tail is a crash RocksDB recovers from: the lost tail was
    // the last key-value write, which was acknowledged only to the OS.
    ASSERT_OK(store.status());
    ASSERT_OK_AND_ASSIGN(QueueLog * log, (*store)->Queue(QueueId{1}));
    EXPECT_EQ(log->max_offset(), Offset{kRecords});
    store = absl::UnknownError("closed");
  } else {
    EXPECT_FALSE(store.ok());
    EXPECT_THAT(store.status().message(), HasSubstr(c.error));
    EXPECT_THAT(store.status().message(), HasSubstr(db));
  }
  // Whatever RocksDB lost, the segment files are as they were.
  EXPECT_EQ(SegmentSnapshot(tmp_.path()), segments);

  if (c.error != nullptr) {
    fs::remove_all(db);
    fs::copy(backup, db, fs::copy_options::recursive);
    ExpectIntact();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Damages, RocksDbDamageTest,
    ::testing::Values(
        DamageCase{Damage::kDeleteCurrent, "DeleteCurrent", "no CURRENT file"},
        DamageCase{Damage::kDeleteManifest, "DeleteManifest", "MANIFEST"},
        DamageCase{Damage::kDeleteSst, "DeleteSst", "No such file"},
        DamageCase{Damage::kTruncateSst, "TruncateSst", ".sst"},
        DamageCase{Damage::kFlipSst, "FlipSst", ".sst"},
        DamageCase{Damage::kDeleteDbFolder, "DeleteDbFolder",
                   "holds queue data"},
        DamageCase{Damage::kFlipWalMiddle, "FlipWalMiddle", "Corruption"},
        DamageCase{Damage::kTruncateWalTail, "TruncateWalTail", nullptr}),
    [](const ::testing::TestParamInfo<DamageCase>& info) {
      return std::string(info.param.name);
    });

}  // namespace
}  // namespace rewindmq::storage
