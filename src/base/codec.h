// Encodings and identifiers used on the wire: base64, SHA-256, hex, percent-encoding, UUIDs,
// ISO-8601 times.
// Stateless and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace thaw {

std::string Base64Encode(std::string_view data);
// Returns nullopt on malformed input (AWS rejects those blobs).
std::optional<std::string> Base64Decode(std::string_view text);
std::string Sha256Base64(std::string_view data);
std::string Sha256Hex(std::string_view data);
// Lower-case hex of raw bytes.
std::string HexLower(std::string_view bytes);
// %XX (either case) decoded; a '%' without two hex digits after it is kept as is. '+' stays '+'
// unless `plus_is_space` (form encoding, application/x-www-form-urlencoded and query strings).
std::string PercentDecode(std::string_view s, bool plus_is_space = false);
// The pairs of a form or query string ("a=1&b=x+y"), decoded, in order; a pair without '='
// has an empty value, empty pairs are skipped.
std::vector<std::pair<std::string, std::string>> ParseForm(std::string_view form);
// The first value of `name` in a form, decoded (only that value is decoded).
std::optional<std::string> FormValue(std::string_view form, std::string_view name);
std::string RandomHex(size_t bytes);
std::string NewUuid();  // random (v4) UUID, lower-case
// "2024-12-28T19:04:46.553+0000", the form Lambda uses for LastModified.
std::string FormatLambdaTime(int64_t realtime_millis);
// "2019-09-18T00:02:46.542Z".
std::string FormatIsoMillis(int64_t realtime_millis);
// "2024/12/28", the date prefix of log stream names.
std::string FormatLogDate(int64_t realtime_millis);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// ASCII letters lower-cased, other bytes kept (header names, media types).
std::string AsciiLower(std::string_view s);
// Parses a base-10 integer that must fill the whole string.
std::optional<int64_t> ParseInt(std::string_view s);

}  // namespace thaw
