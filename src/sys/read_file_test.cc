#include "sys/read_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "sys/temp_dir.h"
#include "sys/unique_fd.h"

namespace thaw::sys {
namespace {

TEST(ReadFileTest, ReadsAllOfALargeFile) {
  StatusOr<TempDir> dir = TempDir::Create("read_file_test-");
  ASSERT_TRUE(dir.ok());
  std::string text(100'000, 'a');
  text += "end";
  std::ofstream(dir->path() + "/f") << text;
  StatusOr<std::string> read = ReadFile(dir->path() + "/f");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, text);
}

TEST(ReadFileTest, MissingFileIsNotFoundAndNamesIt) {
  StatusOr<std::string> read = ReadFile("/nonexistent/thaw-read-file-test");
  EXPECT_EQ(read.status().code(), StatusCode::kNotFound);
  EXPECT_NE(read.status().message().find("/nonexistent/thaw-read-file-test"), std::string::npos);
}

TEST(ReadFileTest, ReadFdReadsAPipeToItsEnd) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  ASSERT_EQ(::write(write_end.get(), "abc", 3), 3);
  write_end.Reset();
  StatusOr<std::string> read = ReadFd(read_end.get(), "pipe");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, "abc");
  EXPECT_FALSE(ReadFd(-1, "nothing").ok());
}

}  // namespace
}  // namespace thaw::sys
