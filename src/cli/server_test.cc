#include "cli/server.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include <boost/asio/post.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/client.h"
#include "sys/unique_fd.h"

namespace thaw::cli {
namespace {

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "/server_test_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A server on a free loopback port, functions as plain processes, no shells kept ready.
  Server::Options Options() const {
    Server::Options options;
    options.listen_host = "127.0.0.1";
    options.port = 0;
    options.state_dir = dir_ + "/state";
    options.sandbox = false;
    options.sandbox_pool = 0;
    options.launcher_path = THAW_LAUNCHER_PATH;
    return options;
  }

  std::string dir_;
};

TEST_F(ServerTest, StartsServesAndStopsInOrder) {
  {
    Server server(Options());
    ASSERT_TRUE(server.Start().ok());
    ASSERT_NE(server.port(), 0);
    struct stat st {};
    ASSERT_EQ(stat(server.state_dir().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);

    std::thread loop([&server] { server.Run(); });
    http::ClientOptions signed_as;
    signed_as.credentials = auth::Credentials{"AKID", "SECRET", ""};
    auto client = http::Client::Create("127.0.0.1:" + std::to_string(server.port()), signed_as);
    ASSERT_TRUE(client.ok());
    auto r = (*client)->Do("GET", "/2015-03-31/functions", {}, "", 5000);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) {
      EXPECT_EQ(r->status, 200) << r->body;
      EXPECT_EQ(nlohmann::json::parse(r->body, nullptr, false)["Functions"],
                nlohmann::json::array());
    }
    boost::asio::post(server.loop(), [&server] { server.Stop(); });
    loop.join();  // Run returns once the listener, queue, environments and launcher stopped
    for (const char* db : {"state.db", "events.db", "logs.db", "invocations.db"}) {
      EXPECT_TRUE(std::filesystem::exists(dir_ + "/state/" + db)) << db;
    }
  }
  // Destroyed: the state dir is free for the next server.
  sys::UniqueFd lock(open((dir_ + "/state/thaw.lock").c_str(), O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(lock.valid());
  EXPECT_EQ(flock(lock.get(), LOCK_EX | LOCK_NB), 0);
}

// Start does not wait for the managed runtimes' probes (interpreters that take seconds here):
// they run on the control thread, and the server answers before they end.
TEST_F(ServerTest, StartDoesNotWaitForRuntimeProbes) {
  const std::string runtimes = dir_ + "/runtimes";
  for (const char* family : {"python", "nodejs"}) {
    std::filesystem::create_directories(runtimes + "/" + family + "/bin");
    for (const char* exe : {"bootstrap", "bin/python3", "bin/node"}) {
      std::string path = runtimes + "/" + family + "/" + exe;
      FILE* f = fopen(path.c_str(), "w");
      ASSERT_NE(f, nullptr) << path;
      fputs("#!/bin/sh\nsleep 2\necho 3.11.0\n", f);
      fclose(f);
      ASSERT_EQ(chmod(path.c_str(), 0755), 0);
    }
  }
  ASSERT_EQ(setenv("THAW_RUNTIMES_DIR", runtimes.c_str(), 1), 0);
  {
    Server server(Options());
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(server.Start().ok());
    auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_LT(took, std::chrono::milliseconds(3000));  // the probes alone take 4 s
  }  // joins the control thread, so the probes have read the variable
  unsetenv("THAW_RUNTIMES_DIR");
}

TEST_F(ServerTest, OneServerPerStateDir) {
  Server first(Options());
  ASSERT_TRUE(first.Start().ok());
  Server second(Options());
  Status s = second.Start();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("another thaw server is using state dir"), std::string::npos);
}

TEST_F(ServerTest, AStateDirThatCannotBeMadeFailsStart) {
  ASSERT_TRUE(sys::UniqueFd(open((dir_ + "/file").c_str(), O_CREAT | O_WRONLY, 0600)).valid());
  Server::Options options = Options();
  options.state_dir = dir_ + "/file/state";
  Server server(options);
  Status s = server.Start();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot create state dir"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace thaw::cli
