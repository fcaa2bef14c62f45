// DynamoDB's AttributeValue and Item: the ten types (S, N, B, BOOL, NULL, M, L, SS, NS, BS),
// parsed from and rendered to the JSON wire form ({"S":"x"}, {"N":"1.5"}, {"B":"<base64>"},
// ...) with AWS's validation, equality (sets unordered), the item size as DynamoDB counts it,
// and key encoding: one byte string per S/N/B key value whose memcmp order is DynamoDB's sort
// order, so a store can keep sort keys in a SQLite BLOB column.
//
// Numbers are held as Number (exact; number.h) and rendered canonically, so "1.50" comes back
// "1.5" as from DynamoDB. Sets are held sorted (SS and BS bytewise, NS numerically) and
// duplicate-free, so they render in that order. B and BS hold raw bytes (base64 only on the
// wire).
//
// Every Status returned here has code kInvalidArgument and means ValidationException; its
// message is AWS's text. Values are plain data: thread-compatible.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "dynamodb/number.h"

namespace thaw::dynamodb {

enum class ValueType { kS, kN, kB, kBool, kNull, kM, kL, kSS, kNS, kBS };

// The wire descriptor: "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS".
std::string_view TypeName(ValueType type);
// The inverse; false for anything that is not exactly one of the ten.
bool ParseTypeName(std::string_view name, ValueType* type);
bool IsSetType(ValueType type);

class AttributeValue;
// Attribute name to value; ordered, so rendering is deterministic.
using Item = std::map<std::string, AttributeValue>;

class AttributeValue {
 public:
  AttributeValue() = default;  // {"NULL": true}

  static AttributeValue String(std::string s);
  static AttributeValue Num(Number n);
  static AttributeValue Binary(std::string bytes);
  static AttributeValue Bool(bool b);
  static AttributeValue Null();
  static AttributeValue Map(Item m);
  static AttributeValue List(std::vector<AttributeValue> l);
  // Sets: members sorted and de-duplicated here; the caller checks emptiness if it must
  // (FromJson refuses empty and duplicate members, as AWS does).
  static AttributeValue StringSet(std::vector<std::string> members);
  static AttributeValue NumberSet(std::vector<Number> members);
  static AttributeValue BinarySet(std::vector<std::string> members);

  // One value from its wire JSON. Refuses: not an object; no descriptor or more than one;
  // a descriptor that is not one of the ten; a member of the wrong JSON type; an invalid number;
  // invalid base64; empty sets and sets with duplicate members; NULL other than true.
  static StatusOr<AttributeValue> FromJson(const nlohmann::json& json);
  nlohmann::json ToJson() const;

  ValueType type() const { return type_; }
  bool is_set() const { return IsSetType(type_); }

  // Accessors; each is valid only for its type(s) (THAW_DCHECKed).
  const std::string& str() const;    // S
  const std::string& bytes() const;  // B
  // S or B: the bytes either holds.
  const std::string& str_or_bytes() const { return text_; }
  const Number& number() const;  // N
  bool boolean() const;          // BOOL
  const Item& map() const;       // M
  Item& mutable_map();
  const std::vector<AttributeValue>& list() const;  // L
  std::vector<AttributeValue>& mutable_list();
  const std::vector<std::string>& string_members() const;  // SS and BS, sorted bytewise
  const std::vector<Number>& number_members() const;       // NS, sorted numerically
  size_t set_size() const;                                 // members of SS, NS or BS

  // Size as DynamoDB counts it (ddb-dg CapacityUnitCalculations): S and B their bytes, N by
  // Number::StorageSize (ceil(digits / 2) + 1), BOOL and NULL 1, a set the sum of its members, L
  // and M 3 bytes plus 1 per element plus the elements (an M element's name included).
  size_t Size() const;

  friend bool operator==(const AttributeValue& a, const AttributeValue& b);

 private:
  ValueType type_ = ValueType::kNull;
  bool bool_ = true;
  std::string text_;  // S, B
  Number number_;     // N
  Item map_;
  std::vector<AttributeValue> list_;
  std::vector<std::string> strings_;  // SS, BS
  std::vector<Number> numbers_;       // NS
};

// A whole item ({"name": {"S": "x"}, ...}); refuses a non-object with AWS's shape-level text.
StatusOr<Item> ItemFromJson(const nlohmann::json& json);
nlohmann::json ItemToJson(const Item& item);

// Item size: the UTF-8 length of each attribute name plus its value's Size().
size_t ItemSize(const Item& item);
inline constexpr size_t kMaxItemSize = 400 * 1024;
// ValidationException "Item size has exceeded the maximum allowed size" past 400 KB.
Status CheckItemSize(const Item& item);

// Key values. EncodeKeyValue maps an S, N or B value to bytes whose memcmp order is DynamoDB's
// order within that type (S and B bytewise; N numerically; see Number::EncodeKey); the key
// type itself is not encoded (a key attribute's type is fixed by the table). Precondition: the
// value is S, N or B. DecodeKeyValue(type, EncodeKeyValue(v)) == v.
std::string EncodeKeyValue(const AttributeValue& value);
StatusOr<AttributeValue> DecodeKeyValue(ValueType type, std::string_view bytes);
// Whether a value may be a key attribute (S, N, B).
bool IsKeyType(ValueType type);

// DynamoDB's order between two values of one scalar type (S, N, B) for <, <=, BETWEEN and
// sort keys: -1, 0 or 1. Precondition: a.type() == b.type() and IsKeyType(a.type()).
int CompareScalars(const AttributeValue& a, const AttributeValue& b);

}  // namespace thaw::dynamodb
