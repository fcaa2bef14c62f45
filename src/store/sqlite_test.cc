#include "store/sqlite.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace thaw::store {
namespace {

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "/sqlite_test_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    old_umask_ = umask(022);  // the usual one, which would give 0644 files
  }
  void TearDown() override {
    umask(old_umask_);
    std::filesystem::remove_all(dir_);
  }
  static mode_t Mode(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }

  std::string dir_;
  mode_t old_umask_ = 0;
};

TEST_F(SqliteTest, FilesArePrivateWhateverTheUmask) {
  std::string path = dir_ + "/state.db";
  auto db = Database::Open(path);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE((*db)->Exec("CREATE TABLE t (x TEXT)").ok());
  ASSERT_TRUE((*db)->Exec("INSERT INTO t VALUES ('secret')").ok());
  EXPECT_EQ(Mode(path), 0600u);
  EXPECT_EQ(Mode(path + "-wal"), 0600u);
  EXPECT_EQ(Mode(path + "-shm"), 0600u);
}

TEST_F(SqliteTest, LooserExistingFilesAreTightened) {
  std::string path = dir_ + "/state.db";
  {
    auto db = Database::Open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("CREATE TABLE t (x TEXT)").ok());
  }
  // As an older thaw left them.
  std::ofstream(path + "-wal").put('\0');
  for (const char* suffix : {"", "-wal"}) {
    ASSERT_EQ(chmod((path + suffix).c_str(), 0644), 0);
  }
  auto db = Database::Open(path);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(Mode(path), 0600u);
  EXPECT_EQ(Mode(path + "-wal"), 0600u);
}

TEST_F(SqliteTest, CommitsAreSynchronousFull) {
  auto db = Database::Open(dir_ + "/events.db");
  ASSERT_TRUE(db.ok());
  auto stmt = (*db)->Prepare("PRAGMA synchronous");
  ASSERT_TRUE(stmt.ok());
  auto row = stmt->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(stmt->Int(0), 2);  // FULL
}

}  // namespace
}  // namespace thaw::store
