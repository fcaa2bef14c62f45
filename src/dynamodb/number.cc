#include "dynamodb/number.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace thaw::dynamodb {
namespace {

Status Invalid(std::string_view text) {
  // AWS leaves the value out when it is empty.
  if (text.empty()) {
    return Status::InvalidArgument("The parameter cannot be converted to a numeric value");
  }
  return Status::InvalidArgument("The parameter cannot be converted to a numeric value: " +
                                 std::string(text));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Magnitude arithmetic on equal-length digit strings (most significant first).
std::string AddDigits(const std::string& a, const std::string& b) {
  std::string out(a.size() + 1, '0');
  int carry = 0;
  for (size_t i = a.size(); i-- > 0;) {
    int d = (a[i] - '0') + (b[i] - '0') + carry;
    carry = d / 10;
    out[i + 1] = static_cast<char>('0' + d % 10);
  }
  out[0] = static_cast<char>('0' + carry);
  return out;
}

// Precondition: a >= b.
std::string SubtractDigits(const std::string& a, const std::string& b) {
  std::string out(a.size(), '0');
  int borrow = 0;
  for (size_t i = a.size(); i-- > 0;) {
    int d = (a[i] - '0') - (b[i] - '0') - borrow;
    borrow = d < 0 ? 1 : 0;
    out[i] = static_cast<char>('0' + (d + 10) % 10);
  }
  return out;
}

constexpr unsigned char kNegativeTag = 0x01;
constexpr unsigned char kZeroTag = 0x02;
constexpr unsigned char kPositiveTag = 0x03;
// After a negative number's (inverted) digits, so that a shorter one sorts after a longer one
// with the same prefix (-1.2 > -1.25).
constexpr unsigned char kNegativeEnd = 0x0A;

}  // namespace

StatusOr<Number> Number::Make(bool negative, std::string digits, int64_t exponent) {
  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return Number();
  size_t last = digits.find_last_not_of('0');
  exponent += static_cast<int64_t>(digits.size() - 1 - last);
  digits = digits.substr(first, last - first + 1);
  if (digits.size() > static_cast<size_t>(kMaxDigits)) {
    return Status::InvalidArgument(std::string(kNumberTooPrecise));
  }
  int64_t leading = exponent + static_cast<int64_t>(digits.size()) - 1;
  if (leading > kMaxExponent) return Status::InvalidArgument(std::string(kNumberOverflow));
  if (leading < kMinExponent) return Status::InvalidArgument(std::string(kNumberUnderflow));
  Number n;
  n.negative_ = negative;
  n.digits_ = std::move(digits);
  n.exponent_ = static_cast<int>(exponent);
  return n;
}

StatusOr<Number> Number::Parse(std::string_view text) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    negative = text[i] == '-';
    ++i;
  }
  std::string digits;    // no leading zeros
  int64_t exponent = 0;  // of the last digit read, zeros pending included
  size_t zeros = 0;      // zeros read after the last nonzero digit, not yet in `digits`
  bool seen_digit = false;
  bool seen_point = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (IsDigit(c)) {
      seen_digit = true;
      if (c == '0') {
        if (!digits.empty()) ++zeros;
      } else {
        digits.append(zeros, '0');
        zeros = 0;
        digits.push_back(c);
        // Significant digits only grow from here: refuse now, so the input's length never
        // matters.
        if (digits.size() > static_cast<size_t>(kMaxDigits)) {
          return Status::InvalidArgument(std::string(kNumberTooPrecise));
        }
      }
      if (seen_point) --exponent;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  exponent += static_cast<int64_t>(zeros);
  if (!seen_digit) return Invalid(text);
  if (i < text.size()) {
    if (text[i] != 'e' && text[i] != 'E') return Invalid(text);
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
      exp_negative = text[i] == '-';
      ++i;
    }
    if (i == text.size()) return Invalid(text);
    int64_t e = 0;
    for (; i < text.size(); ++i) {
      if (!IsDigit(text[i])) return Invalid(text);
      // Past a billion the number is out of range whatever its digits; saturate.
      e = std::min<int64_t>(e * 10 + (text[i] - '0'), 1'000'000'000);
    }
    exponent += exp_negative ? -e : e;
  }
  return Make(negative, std::move(digits), exponent);
}

Number Number::FromInt(int64_t value) {
  bool negative = value < 0;
  // Through unsigned so INT64_MIN negates without overflow.
  uint64_t magnitude =
      negative ? uint64_t{0} - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  std::string digits = std::to_string(magnitude);
  StatusOr<Number> n = Make(negative, std::move(digits), 0);
  return n.ok() ? *n : Number();  // int64 always fits
}

int Number::leading_exponent() const {
  return is_zero() ? 0 : exponent_ + static_cast<int>(digits_.size()) - 1;
}

std::string Number::ToString() const {
  if (is_zero()) return "0";
  std::string out = negative_ ? "-" : "";
  if (exponent_ >= 0) {
    out += digits_;
    out.append(static_cast<size_t>(exponent_), '0');
    return out;
  }
  int point = static_cast<int>(digits_.size()) + exponent_;  // digits before the point
  if (point > 0) {
    out.append(digits_, 0, static_cast<size_t>(point));
    out += '.';
    out.append(digits_, static_cast<size_t>(point));
  } else {
    out += "0.";
    out.append(static_cast<size_t>(-point), '0');
    out += digits_;
  }
  return out;
}

bool Number::ToInt64(int64_t* out) const {
  if (is_zero()) {
    *out = 0;
    return true;
  }
  if (exponent_ < 0 || leading_exponent() > 18) return false;
  // At most 19 digits: fits in unsigned 64 bits.
  uint64_t v = 0;
  for (char c : digits_) v = v * 10 + static_cast<uint64_t>(c - '0');
  for (int i = 0; i < exponent_; ++i) v *= 10;
  if (negative_) {
    if (v > uint64_t{1} << 63) return false;
    *out = static_cast<int64_t>(uint64_t{0} - v);
  } else {
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

Number Number::Negated() const {
  Number n = *this;
  if (!n.is_zero()) n.negative_ = !n.negative_;
  return n;
}

int Number::Compare(const Number& other) const {
  int sign_a = is_zero() ? 0 : (negative_ ? -1 : 1);
  int sign_b = other.is_zero() ? 0 : (other.negative_ ? -1 : 1);
  if (sign_a != sign_b) return sign_a < sign_b ? -1 : 1;
  if (sign_a == 0) return 0;
  int magnitude = 0;
  if (leading_exponent() != other.leading_exponent()) {
    magnitude = leading_exponent() < other.leading_exponent() ? -1 : 1;
  } else {
    int c = digits_.compare(other.digits_);  // same scale: a prefix is the smaller
    magnitude = c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return sign_a * magnitude;
}

StatusOr<Number> Number::Add(const Number& other) const {
  if (is_zero()) return other;
  if (other.is_zero()) return *this;
  int low = std::min(exponent_, other.exponent_);
  int high = std::max(leading_exponent(), other.leading_exponent());
  size_t width = static_cast<size_t>(high - low + 1);
  auto aligned = [&](const Number& n) {
    std::string s(width - n.digits_.size() - static_cast<size_t>(n.exponent_ - low), '0');
    s += n.digits_;
    s.append(static_cast<size_t>(n.exponent_ - low), '0');
    return s;
  };
  std::string a = aligned(*this);
  std::string b = aligned(other);
  if (negative_ == other.negative_) return Make(negative_, AddDigits(a, b), low);
  if (a == b) return Number();
  if (a > b) return Make(negative_, SubtractDigits(a, b), low);
  return Make(other.negative_, SubtractDigits(b, a), low);
}

StatusOr<Number> Number::Subtract(const Number& other) const { return Add(other.Negated()); }

size_t Number::StorageSize() const {
  if (is_zero()) return 1;
  return (digits_.size() + 1) / 2 + 1;
}

std::string Number::EncodeKey() const {
  std::string out;
  if (is_zero()) {
    out.push_back(static_cast<char>(kZeroTag));
    return out;
  }
  out.reserve(digits_.size() + 3);
  unsigned biased = static_cast<unsigned>(leading_exponent() - kMinExponent);  // 0..255
  if (!negative_) {
    out.push_back(static_cast<char>(kPositiveTag));
    out.push_back(static_cast<char>(biased));
    for (char c : digits_) out.push_back(static_cast<char>(c - '0'));
  } else {
    out.push_back(static_cast<char>(kNegativeTag));
    out.push_back(static_cast<char>(255 - biased));
    for (char c : digits_) out.push_back(static_cast<char>(9 - (c - '0')));
    out.push_back(static_cast<char>(kNegativeEnd));
  }
  return out;
}

StatusOr<Number> Number::DecodeKey(std::string_view bytes) {
  auto bad = [] { return Status::InvalidArgument("malformed number key"); };
  if (bytes.empty()) return bad();
  auto tag = static_cast<unsigned char>(bytes[0]);
  if (tag == kZeroTag) return bytes.size() == 1 ? StatusOr<Number>(Number()) : bad();
  if ((tag != kPositiveTag && tag != kNegativeTag) || bytes.size() < 3) return bad();
  bool negative = tag == kNegativeTag;
  auto biased = static_cast<unsigned char>(bytes[1]);
  int leading = (negative ? 255 - biased : biased) + kMinExponent;
  std::string_view body = bytes.substr(2);
  if (negative) {
    if (static_cast<unsigned char>(body.back()) != kNegativeEnd) return bad();
    body.remove_suffix(1);
  }
  if (body.empty() || body.size() > static_cast<size_t>(kMaxDigits)) return bad();
  std::string digits;
  for (char b : body) {
    auto v = static_cast<unsigned char>(b);
    if (v > 9) return bad();
    digits.push_back(static_cast<char>('0' + (negative ? 9 - v : v)));
  }
  if (digits.front() == '0' || digits.back() == '0') return bad();
  int64_t exponent = leading - static_cast<int64_t>(digits.size()) + 1;
  return Make(negative, std::move(digits), exponent);
}

}  // namespace thaw::dynamodb
