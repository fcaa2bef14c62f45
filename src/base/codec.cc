#include "base/codec.h"

#include <time.h>

#include <charconv>
#include <cstdio>
#include <cstring>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace thaw {

std::string Base64Encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  std::string clean;
  clean.reserve(text.size());
  for (char c : text) {
    if (c != '\n' && c != '\r') clean.push_back(c);
  }
  if (clean.size() % 4 != 0) return std::nullopt;
  std::string out(clean.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()),
                          static_cast<int>(clean.size()));
  if (n < 0) return std::nullopt;
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes; drop them.
  if (!clean.empty() && clean.back() == '=') --len;
  if (clean.size() >= 2 && clean[clean.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

namespace {
std::string Digest(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return std::string(reinterpret_cast<char*>(md), sizeof md);
}
std::string Hex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}
}  // namespace

std::string Sha256Base64(std::string_view data) { return Base64Encode(Digest(data)); }
std::string HexLower(std::string_view bytes) { return Hex(bytes); }

std::string Sha256Hex(std::string_view data) { return Hex(Digest(data)); }

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+' && plus_is_space) {
      out.push_back(' ');
      continue;
    }
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

namespace {
// Calls visit(key, value) with each raw (still encoded) pair of a form until it returns false;
// a pair without "=" has an empty value.
template <typename Visit>
void ForEachFormPair(std::string_view form, Visit visit) {
  while (!form.empty()) {
    size_t amp = form.find('&');
    std::string_view pair = form.substr(0, amp);
    form = amp == std::string_view::npos ? std::string_view() : form.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (!visit(pair.substr(0, eq), value)) return;
  }
}
}  // namespace

std::vector<std::pair<std::string, std::string>> ParseForm(std::string_view form) {
  std::vector<std::pair<std::string, std::string>> out;
  ForEachFormPair(form, [&](std::string_view key, std::string_view value) {
    out.emplace_back(PercentDecode(key, true), PercentDecode(value, true));
    return true;
  });
  return out;
}

std::optional<std::string> FormValue(std::string_view form, std::string_view name) {
  std::optional<std::string> found;
  ForEachFormPair(form, [&](std::string_view key, std::string_view value) {
    if (PercentDecode(key, true) != name) return true;
    found = PercentDecode(value, true);
    return false;
  });
  return found;
}

namespace {
// Request ids, stream names and trace ids need to be unique, not secret, and are made on the
// invoke path: a per-thread xoshiro256** seeded once from OpenSSL is ~50x cheaper than
// RAND_bytes, which takes a lock per call.
class FastRandom {
 public:
  FastRandom() { RAND_bytes(reinterpret_cast<unsigned char*>(s_), sizeof s_); }
  void Fill(unsigned char* out, size_t n) {
    while (n > 0) {
      uint64_t v = Next();
      size_t k = n < 8 ? n : 8;
      std::memcpy(out, &v, k);
      out += k;
      n -= k;
    }
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t Next() {
    uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  uint64_t s_[4];
};

void FillRandom(unsigned char* out, size_t n) {
  thread_local FastRandom random;
  random.Fill(out, n);
}
}  // namespace

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  FillRandom(reinterpret_cast<unsigned char*>(raw.data()), bytes);
  return Hex(raw);
}

std::string NewUuid() {
  unsigned char b[16];
  FillRandom(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  std::string h = Hex(std::string_view(reinterpret_cast<char*>(b), sizeof b));
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

namespace {
tm ToTm(int64_t millis) {
  time_t secs = static_cast<time_t>(millis / 1000);
  tm t{};
  gmtime_r(&secs, &t);
  return t;
}
}  // namespace

std::string FormatLambdaTime(int64_t millis) {
  tm t = ToTm(millis);
  char buf[64];
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+0000", t.tm_year + 1900,
           t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, static_cast<int>(millis % 1000));
  return buf;
}

std::string FormatIsoMillis(int64_t millis) {
  tm t = ToTm(millis);
  char buf[64];
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900, t.tm_mon + 1,
           t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, static_cast<int>(millis % 1000));
  return buf;
}

std::string FormatLogDate(int64_t millis) {
  tm t = ToTm(millis);
  char buf[32];
  snprintf(buf, sizeof buf, "%04d/%02d/%02d", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday);
  return buf;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace thaw
