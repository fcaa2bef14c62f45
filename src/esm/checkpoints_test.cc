#include "esm/checkpoints.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace thaw::esm {
namespace {

class CheckpointsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("checkpoints_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    std::filesystem::remove(path_);
    auto opened = store::Database::Open(path_.string());
    ASSERT_TRUE(opened.ok());
    db_ = std::move(*opened);
    checkpoints_ = std::make_unique<Checkpoints>(loop_, control_, *db_);
    ASSERT_TRUE(checkpoints_->Load().ok());
  }
  void TearDown() override {
    checkpoints_.reset();
    db_.reset();
    std::filesystem::remove(path_);
  }
  // What a restart would load.
  std::optional<std::string> Durable(const std::string& uuid, const std::string& shard) {
    Checkpoints reloaded(loop_, control_, *db_);
    EXPECT_TRUE(reloaded.Load().ok());
    return reloaded.Get(uuid, shard);
  }
  // Runs what the control thread has, then what it answered on the loop.
  size_t Step() {
    const size_t commits = control_.poll();
    control_.restart();
    loop_.poll();
    loop_.restart();
    return commits;
  }

  boost::asio::io_context loop_;
  boost::asio::io_context control_;
  std::filesystem::path path_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Checkpoints> checkpoints_;
};

TEST_F(CheckpointsTest, SavesMadeWhileACommitRunsGoTogetherInTheNextOne) {
  std::vector<std::string> done;
  auto note = [&done](std::string what) {
    return [&done, what](const Status& s) {
      EXPECT_TRUE(s.ok());
      done.push_back(what);
    };
  };
  checkpoints_->Save("m1", "s1", "100", note("m1/s1 100"));
  // The first commit is on its way: these three wait for it, then go in one commit.
  checkpoints_->Save("m1", "s2", "200", note("m1/s2 200"));
  checkpoints_->Save("m2", "s1", "300", note("m2/s1 300"));
  checkpoints_->Save("m1", "s1", "101", note("m1/s1 101"), R"({"start":1})");
  // Known at once, durable only once committed.
  EXPECT_EQ(checkpoints_->Get("m1", "s1"), "101");
  EXPECT_FALSE(Durable("m1", "s1").has_value());
  EXPECT_EQ(Step(), 1u);
  EXPECT_EQ(done, (std::vector<std::string>{"m1/s1 100"}));
  EXPECT_EQ(Durable("m1", "s1"), "100");
  EXPECT_FALSE(Durable("m1", "s2").has_value());
  EXPECT_EQ(Step(), 1u);  // one transaction for the three
  EXPECT_EQ(done, (std::vector<std::string>{"m1/s1 100", "m1/s2 200", "m2/s1 300", "m1/s1 101"}));
  EXPECT_EQ(Durable("m1", "s1"), "101");
  EXPECT_EQ(Durable("m1", "s2"), "200");
  EXPECT_EQ(Durable("m2", "s1"), "300");
  Checkpoints reloaded(loop_, control_, *db_);
  ASSERT_TRUE(reloaded.Load().ok());
  EXPECT_EQ(reloaded.Window("m1", "s1"), R"({"start":1})");
  EXPECT_EQ(Step(), 0u);  // nothing left
}

TEST_F(CheckpointsTest, ForgetComesAfterTheSavesBeforeIt) {
  checkpoints_->Save("m1", "s1", "100", [](const Status&) {});
  checkpoints_->Save("m1", "s2", "200", [](const Status&) {});
  checkpoints_->Forget("m1");
  checkpoints_->Save("m2", "s1", "300", [](const Status&) {});
  EXPECT_FALSE(checkpoints_->Started("m1"));
  Step();
  Step();
  EXPECT_FALSE(Durable("m1", "s1").has_value());
  EXPECT_FALSE(Durable("m1", "s2").has_value());
  EXPECT_EQ(Durable("m2", "s1"), "300");
}

}  // namespace
}  // namespace thaw::esm
