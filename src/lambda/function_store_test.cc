#include "lambda/function_store.h"

#include <cstdio>

#include <gtest/gtest.h>

#include "lambda/test_helpers.h"

namespace thaw::lambda {
namespace {

FunctionConfig SampleConfig() {
  FunctionConfig c;
  c.name = "orders";
  c.runtime = "provided.al2023";
  c.role = "arn:aws:iam::000000000000:role/r";
  c.handler = "bootstrap";
  c.description = "takes orders";
  c.timeout_s = 30;
  c.memory_mb = 512;
  c.ephemeral_mb = 1024;
  c.environment = {{"B", "2"}, {"A", "1"}};
  c.architecture = "arm64";
  c.code_sha256 = "abc=";
  c.code_size = 1234;
  c.code_dir = "/state/code/ff";
  c.last_modified = "2024-12-28T19:04:46.553+0000";
  c.revision_id = "rev-1";
  c.tracing_mode = "Active";
  c.generation = 7;
  return c;
}

void ExpectSameConfig(const FunctionConfig& a, const FunctionConfig& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.runtime, b.runtime);
  EXPECT_EQ(a.role, b.role);
  EXPECT_EQ(a.handler, b.handler);
  EXPECT_EQ(a.description, b.description);
  EXPECT_EQ(a.timeout_s, b.timeout_s);
  EXPECT_EQ(a.memory_mb, b.memory_mb);
  EXPECT_EQ(a.ephemeral_mb, b.ephemeral_mb);
  EXPECT_EQ(a.environment, b.environment);  // order kept
  EXPECT_EQ(a.architecture, b.architecture);
  EXPECT_EQ(a.package_type, b.package_type);
  EXPECT_EQ(a.code_sha256, b.code_sha256);
  EXPECT_EQ(a.code_size, b.code_size);
  EXPECT_EQ(a.code_dir, b.code_dir);
  EXPECT_EQ(a.last_modified, b.last_modified);
  EXPECT_EQ(a.revision_id, b.revision_id);
  EXPECT_EQ(a.tracing_mode, b.tracing_mode);
  EXPECT_EQ(a.generation, b.generation);
}

class FunctionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    store_.reset();
    db_.reset();
    auto db = store::Database::Open(dir_.path() + "/state.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    store_ = std::make_unique<FunctionStore>(*db_);
    ASSERT_TRUE(store_->Init().ok());
  }
  testing::TempDir dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<FunctionStore> store_;
};

TEST_F(FunctionStoreTest, StorageFormRoundTrips) {
  FunctionConfig c = SampleConfig();
  auto back = ConfigFromStorage(ConfigToStorage(c));
  ASSERT_TRUE(back.ok());
  ExpectSameConfig(c, *back);
  EXPECT_FALSE(ConfigFromStorage("not json").ok());
  EXPECT_FALSE(ConfigFromStorage("[]").ok());
}

TEST_F(FunctionStoreTest, EverythingSurvivesReopen) {
  FunctionConfig latest = SampleConfig();
  FunctionConfig v1 = latest;
  v1.version = "1";
  v1.revision_id = "rev-v1";
  {
    auto txn = store::Transaction::Begin(*db_);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(store_->PutLatest(latest).ok());
    ASSERT_TRUE(store_->PutVersion(v1).ok());
    ASSERT_TRUE(store_->SetLastVersion("orders", 3).ok());
    ASSERT_TRUE(store_->PutAlias("orders", {"live", "1", "production", "rev-a"}).ok());
    ASSERT_TRUE(store_->SetTags("orders", {{"team", "a"}, {"env", "dev"}}).ok());
    ASSERT_TRUE(store_->SetReservedConcurrency("orders", 5).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  FunctionConfig other = SampleConfig();
  other.name = "billing";
  ASSERT_TRUE(store_->PutLatest(other).ok());

  Open();
  auto all = store_->LoadAll();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].entry.latest->name, "billing");  // sorted by name
  EXPECT_FALSE((*all)[0].entry.reserved_concurrency.has_value());
  const StoredFunction& orders = (*all)[1];
  ExpectSameConfig(*orders.entry.latest, latest);
  EXPECT_EQ(orders.entry.latest->tags,
            (std::map<std::string, std::string>{{"env", "dev"}, {"team", "a"}}));
  ASSERT_EQ(orders.entry.versions.size(), 1u);
  ExpectSameConfig(*orders.entry.versions.at(1), v1);
  EXPECT_EQ(orders.last_version, 3);
  ASSERT_EQ(orders.entry.aliases.count("live"), 1u);
  EXPECT_EQ(orders.entry.aliases.at("live").function_version, "1");
  EXPECT_EQ(orders.entry.aliases.at("live").description, "production");
  EXPECT_EQ(orders.entry.aliases.at("live").revision_id, "rev-a");
  EXPECT_EQ(orders.entry.reserved_concurrency, 5);
}

TEST_F(FunctionStoreTest, UncommittedChangesVanish) {
  {
    auto txn = store::Transaction::Begin(*db_);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(store_->PutLatest(SampleConfig()).ok());
    // No Commit: the destructor rolls back.
  }
  auto all = store_->LoadAll();
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

TEST_F(FunctionStoreTest, UpdatesAndDeletesCascade) {
  FunctionConfig c = SampleConfig();
  ASSERT_TRUE(store_->PutLatest(c).ok());
  ASSERT_TRUE(store_->SetReservedConcurrency("orders", 9).ok());
  c.memory_mb = 2048;
  ASSERT_TRUE(store_->PutLatest(c).ok());  // keeps reserved concurrency
  FunctionConfig v2 = c;
  v2.version = "2";
  ASSERT_TRUE(store_->PutVersion(v2).ok());
  ASSERT_TRUE(store_->PutAlias("orders", {"a", "2", "", "r"}).ok());
  ASSERT_TRUE(store_->SetTags("orders", {{"k", "v"}}).ok());
  auto all = store_->LoadAll();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)[0].entry.latest->memory_mb, 2048);
  EXPECT_EQ((*all)[0].entry.reserved_concurrency, 9);

  ASSERT_TRUE(store_->DeleteAlias("orders", "a").ok());
  ASSERT_TRUE(store_->DeleteVersion("orders", 2).ok());
  ASSERT_TRUE(store_->SetReservedConcurrency("orders", std::nullopt).ok());
  all = store_->LoadAll();
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE((*all)[0].entry.aliases.empty());
  EXPECT_TRUE((*all)[0].entry.versions.empty());
  EXPECT_FALSE((*all)[0].entry.reserved_concurrency.has_value());

  ASSERT_TRUE(store_->PutVersion(v2).ok());
  ASSERT_TRUE(store_->DeleteFunction("orders").ok());
  all = store_->LoadAll();
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
  // The cascade removed the version and tags too: a new function of that name starts clean.
  ASSERT_TRUE(store_->PutLatest(SampleConfig()).ok());
  all = store_->LoadAll();
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE((*all)[0].entry.versions.empty());
  EXPECT_TRUE((*all)[0].entry.latest->tags.empty());
}

TEST_F(FunctionStoreTest, GenerationsIncreaseAcrossRestarts) {
  auto a = store_->NextGeneration();
  auto b = store_->NextGeneration();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_LT(*a, *b);
  Open();
  auto c = store_->NextGeneration();
  ASSERT_TRUE(c.ok());
  EXPECT_LT(*b, *c);
}

TEST(FunctionStorageTest, MechanismSurvivesStorage) {
  FunctionConfig c;
  c.name = "f";
  c.mechanism = "http-sidecar";
  StatusOr<FunctionConfig> back = ConfigFromStorage(ConfigToStorage(c));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->mechanism, "http-sidecar");
  // Rows written before mechanisms existed read as the Runtime API.
  FunctionConfig old;
  old.name = "g";
  std::string text = ConfigToStorage(old);
  size_t at = text.find("\"mechanism\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, std::string("\"mechanism\":\"runtime-api\"").size(), "\"x\":0");
  back = ConfigFromStorage(text);
  ASSERT_TRUE(back.ok()) << text;
  EXPECT_EQ(back->mechanism, "runtime-api");
}

TEST_F(FunctionStoreTest, TwoAccountsKeepTheSameNameApart) {
  FunctionConfig a = SampleConfig();
  a.account = "111111111111";
  a.handler = "a";
  FunctionConfig b = SampleConfig();
  b.account = "222222222222";
  b.handler = "b";
  FunctionConfig b1 = b;
  b1.version = "1";
  ASSERT_TRUE(store_->PutLatest(a).ok());
  ASSERT_TRUE(store_->PutLatest(b).ok());
  ASSERT_TRUE(store_->PutVersion(b1).ok());
  ASSERT_TRUE(store_->SetTags(b.key(), {{"team", "b"}}).ok());
  Open();
  auto all = store_->LoadAll();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2u);
  const auto& first = *(*all)[0].entry.latest;
  const auto& second = *(*all)[1].entry.latest;
  EXPECT_EQ(first.account, "111111111111");
  EXPECT_EQ(first.handler, "a");
  EXPECT_TRUE(first.tags.empty());
  EXPECT_EQ(second.account, "222222222222");
  EXPECT_EQ(second.name, "orders");
  EXPECT_EQ(second.handler, "b");
  EXPECT_EQ(second.tags.at("team"), "b");
  ASSERT_EQ((*all)[1].entry.versions.size(), 1u);
  EXPECT_EQ((*all)[1].entry.versions.at(1)->account, "222222222222");
}

// A state.db written before accounts: lambda_functions without the account column.
TEST_F(FunctionStoreTest, StateFromBeforeAccountsIs000000000000s) {
  store_.reset();
  db_.reset();
  std::remove((dir_.path() + "/state.db").c_str());
  {
    auto db = store::Database::Open(dir_.path() + "/state.db");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec("CREATE TABLE lambda_functions (name TEXT PRIMARY KEY, config TEXT "
                           "NOT NULL, reserved_concurrency INTEGER, last_version INTEGER NOT "
                           "NULL DEFAULT 0)")
                    .ok());
    FunctionConfig old = SampleConfig();
    auto st = (*db)->Prepare("INSERT INTO lambda_functions (name, config) VALUES (?1, ?2)");
    ASSERT_TRUE(st.ok());
    st->Bind(1, "orders").Bind(2, ConfigToStorage(old));
    ASSERT_TRUE(st->Run().ok());
  }
  Open();  // Init migrates
  auto all = store_->LoadAll();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].entry.latest->account, "000000000000");
  EXPECT_EQ((*all)[0].entry.latest->key(), "orders");
  // And the migrated table takes other accounts' functions.
  FunctionConfig other = SampleConfig();
  other.account = "111111111111";
  ASSERT_TRUE(store_->PutLatest(other).ok());
  Open();
  all = store_->LoadAll();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
}

}  // namespace
}  // namespace thaw::lambda
