#include "cli/zip_builder.h"

#include <gtest/gtest.h>

#include "base/codec.h"
#include "cli/client_fakes.h"

namespace thaw::cli {
namespace {

TEST(BuildZipTest, RoundTripKeepsBytesAndExecutableMode) {
  std::string binary(200'000, '\0');
  for (size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>((i * 7919) % 251);
  StatusOr<std::string> zip = BuildZip({ZipEntry{"bootstrap", binary, 0755}});
  ASSERT_TRUE(zip.ok()) << zip.status().ToString();
  std::vector<ZipFileInfo> files = ReadZip(*zip);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].name, "bootstrap");
  EXPECT_EQ(files[0].data, binary);
  EXPECT_EQ(files[0].opsys, ZIP_OPSYS_UNIX);
  EXPECT_EQ(files[0].attributes >> 16, static_cast<uint32_t>(S_IFREG | 0755));
}

TEST(BuildZipTest, SeveralEntriesKeepTheirModes) {
  StatusOr<std::string> zip = BuildZip(
      {ZipEntry{"bootstrap", "#!/bin/sh\n", 0755}, ZipEntry{"lib/data.txt", "hello", 0644}});
  ASSERT_TRUE(zip.ok()) << zip.status().ToString();
  std::vector<ZipFileInfo> files = ReadZip(*zip);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[1].name, "lib/data.txt");
  EXPECT_EQ(files[1].data, "hello");
  EXPECT_EQ((files[1].attributes >> 16) & 07777, 0644u);
}

TEST(BuildZipTest, IsDeterministic) {
  std::vector<ZipEntry> entries = {ZipEntry{"bootstrap", std::string(5000, 'x'), 0755}};
  StatusOr<std::string> first = BuildZip(entries);
  StatusOr<std::string> second = BuildZip(entries);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(Sha256Base64(*first), Sha256Base64(*second));
}

TEST(BuildZipTest, EmptyFileAndNoEntries) {
  StatusOr<std::string> zip = BuildZip({ZipEntry{"empty", "", 0644}});
  ASSERT_TRUE(zip.ok());
  std::vector<ZipFileInfo> files = ReadZip(*zip);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].data, "");
  EXPECT_EQ(BuildZip({}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace thaw::cli
