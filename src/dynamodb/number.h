// DynamoDB's Number: an exact decimal of at most 38 significant digits whose magnitude is 0 or
// within 1E-130 .. 9.9999999999999999999999999999999999999E+125 (ddb-dg
// HowItWorks.NamingRulesDataTypes). Our own base-10 digits rather than cpp_dec_float: that type
// carries guard digits and rounds silently, while DynamoDB refuses (never rounds) a value that
// does not fit, and an exact digit string makes the refusal a plain length check. No doubles.
//
// Every Status returned here is a ValidationException whose message is AWS's text.
// A value type; thread-compatible.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace thaw::dynamodb {

class Number {
 public:
  static constexpr int kMaxDigits = 38;
  static constexpr int kMinExponent = -130;  // of the leading digit: 1E-130
  static constexpr int kMaxExponent = 125;   // of the leading digit: 9.99..E+125

  Number() = default;  // zero

  // Accepts what DynamoDB accepts: [+-] digits [. digits] [(e|E) [+-] digits], at least one
  // digit in the mantissa, no spaces. Leading and trailing zeros do not count as significant.
  static StatusOr<Number> Parse(std::string_view text);
  static Number FromInt(int64_t value);

  // The canonical form DynamoDB returns: plain notation, no exponent, no leading zeros before
  // the point (except "0.x"), no trailing zeros after it, "0" for any zero, "-" only if < 0.
  // "1.50" -> "1.5", "01" -> "1", "-0" -> "0", "1E2" -> "100".
  std::string ToString() const;

  bool is_zero() const { return digits_.empty(); }
  bool negative() const { return negative_; }
  // Significant digits (0 for zero).
  int digit_count() const { return static_cast<int>(digits_.size()); }
  // The decimal exponent of the leading digit (1.5E3 -> 3); 0 for zero.
  int leading_exponent() const;
  // Whether the value is an integer that fits in int64; sets *out.
  bool ToInt64(int64_t* out) const;

  // Results are checked as inputs are: more than 38 digits or out of range is a
  // ValidationException, never a rounded value.
  StatusOr<Number> Add(const Number& other) const;
  StatusOr<Number> Subtract(const Number& other) const;
  Number Negated() const;

  int Compare(const Number& other) const;  // -1, 0, 1
  friend bool operator==(const Number& a, const Number& b) { return a.Compare(b) == 0; }
  friend std::strong_ordering operator<=>(const Number& a, const Number& b) {
    return a.Compare(b) <=> 0;
  }

  // The size DynamoDB counts for a number, by its documented rule (ddb-dg
  // HowItWorks.NamingRulesDataTypes): 1 byte per two significant digits, plus 1; zero is 1.
  size_t StorageSize() const;

  // A byte string whose memcmp order is numeric order (for sort keys in a BLOB column), and
  // back. DecodeKey refuses bytes that EncodeKey cannot have produced.
  std::string EncodeKey() const;
  static StatusOr<Number> DecodeKey(std::string_view bytes);

 private:
  // value = (negative_ ? -1 : 1) * digits_ * 10^exponent_; digits_ holds '0'..'9' with no
  // leading or trailing zero; empty is zero (then exponent_ == 0, negative_ == false).
  static StatusOr<Number> Make(bool negative, std::string digits, int64_t exponent);
  bool negative_ = false;
  std::string digits_;
  int exponent_ = 0;
};

// AWS's texts.
inline constexpr std::string_view kNumberTooPrecise =
    "Attempting to store more than 38 significant digits in a Number";
inline constexpr std::string_view kNumberOverflow =
    "Number overflow. Attempting to store a number with magnitude larger than supported range";
inline constexpr std::string_view kNumberUnderflow =
    "Number underflow. Attempting to store a number with magnitude smaller than supported range";

}  // namespace thaw::dynamodb
