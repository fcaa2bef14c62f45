#include "base/status.h"

#include <errno.h>

#include <gtest/gtest.h>

namespace thaw {
namespace {

StatusOr<int> Half(int v) {
  if (v % 2) return Status::InvalidArgument("odd");
  return v / 2;
}

Status UseMacros(int v, int* out) {
  THAW_ASSIGN_OR_RETURN(int h, Half(v));
  THAW_RETURN_IF_ERROR(h > 10 ? Status::ResourceExhausted("big") : Status::Ok());
  *out = h;
  return Status::Ok();
}

TEST(StatusTest, OkAndErrors) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = Status::NotFound("x");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NotFound: x");
}

TEST(StatusTest, MacrosPropagate) {
  int out = 0;
  EXPECT_TRUE(UseMacros(8, &out).ok());
  EXPECT_EQ(out, 4);
  EXPECT_EQ(UseMacros(3, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(UseMacros(40, &out).code(), StatusCode::kResourceExhausted);
}

TEST(StatusTest, ErrnoStatusNamesCallAndObject) {
  Status s = ErrnoStatus("open", "/nope", ENOENT);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("open /nope"), std::string::npos);
  EXPECT_EQ(ErrnoStatus("kill", "", EPERM).code(), StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace thaw
