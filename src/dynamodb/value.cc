#include "dynamodb/value.h"

#include <algorithm>
#include <array>
#include <utility>

#include "base/check.h"
#include "base/codec.h"

namespace thaw::dynamodb {
namespace {

using nlohmann::json;

constexpr std::array<std::pair<std::string_view, ValueType>, 10> kTypeNames = {{
    {"S", ValueType::kS},
    {"N", ValueType::kN},
    {"B", ValueType::kB},
    {"BOOL", ValueType::kBool},
    {"NULL", ValueType::kNull},
    {"M", ValueType::kM},
    {"L", ValueType::kL},
    {"SS", ValueType::kSS},
    {"NS", ValueType::kNS},
    {"BS", ValueType::kBS},
}};

Status Invalid(std::string message) { return Status::InvalidArgument(std::move(message)); }

constexpr std::string_view kInvalidPrefix = "One or more parameter values were invalid: ";

// Where AWS's JSON reader would fail on the member's JSON type (a SerializationException
// there; here a ValidationException with a text naming the expected type).
Status WrongJsonType(std::string_view descriptor) {
  return Invalid("Unexpected JSON type for AttributeValue member " + std::string(descriptor));
}

StatusOr<std::string> DecodeBinary(const json& j, std::string_view descriptor) {
  if (!j.is_string()) return WrongJsonType(descriptor);
  std::optional<std::string> bytes = Base64Decode(j.get_ref<const std::string&>());
  if (!bytes)
    return Invalid("Invalid base64 value in AttributeValue member " + std::string(descriptor));
  return std::move(*bytes);
}

// AWS's three texts: SS lists the members, BS lists them with its missing space, NS does not
// list them.
Status Duplicates(ValueType type, const json& members) {
  if (type == ValueType::kNS) return Invalid("Input collection contains duplicates");
  std::string list;
  for (const json& m : members) {
    if (!list.empty()) list += ", ";
    list += m.is_string() ? m.get_ref<const std::string&>() : m.dump();
  }
  return Invalid(std::string(kInvalidPrefix) + "Input collection [" + list + "]" +
                 (type == ValueType::kBS ? "of type BS" : "") + " contains duplicates.");
}

template <typename T>
bool SortUnique(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  auto end = std::unique(v.begin(), v.end());
  bool had_duplicates = end != v.end();
  v.erase(end, v.end());
  return had_duplicates;
}

}  // namespace

std::string_view TypeName(ValueType type) {
  for (const auto& entry : kTypeNames) {
    if (entry.second == type) return entry.first;
  }
  return "?";
}

bool ParseTypeName(std::string_view name, ValueType* type) {
  for (const auto& entry : kTypeNames) {
    if (entry.first == name) {
      *type = entry.second;
      return true;
    }
  }
  return false;
}

bool IsSetType(ValueType type) {
  return type == ValueType::kSS || type == ValueType::kNS || type == ValueType::kBS;
}

bool IsKeyType(ValueType type) {
  return type == ValueType::kS || type == ValueType::kN || type == ValueType::kB;
}

AttributeValue AttributeValue::String(std::string s) {
  AttributeValue v;
  v.type_ = ValueType::kS;
  v.text_ = std::move(s);
  return v;
}

AttributeValue AttributeValue::Num(Number n) {
  AttributeValue v;
  v.type_ = ValueType::kN;
  v.number_ = std::move(n);
  return v;
}

AttributeValue AttributeValue::Binary(std::string bytes) {
  AttributeValue v;
  v.type_ = ValueType::kB;
  v.text_ = std::move(bytes);
  return v;
}

AttributeValue AttributeValue::Bool(bool b) {
  AttributeValue v;
  v.type_ = ValueType::kBool;
  v.bool_ = b;
  return v;
}

AttributeValue AttributeValue::Null() { return AttributeValue(); }

AttributeValue AttributeValue::Map(Item m) {
  AttributeValue v;
  v.type_ = ValueType::kM;
  v.map_ = std::move(m);
  return v;
}

AttributeValue AttributeValue::List(std::vector<AttributeValue> l) {
  AttributeValue v;
  v.type_ = ValueType::kL;
  v.list_ = std::move(l);
  return v;
}

AttributeValue AttributeValue::StringSet(std::vector<std::string> members) {
  AttributeValue v;
  v.type_ = ValueType::kSS;
  SortUnique(members);
  v.strings_ = std::move(members);
  return v;
}

AttributeValue AttributeValue::NumberSet(std::vector<Number> members) {
  AttributeValue v;
  v.type_ = ValueType::kNS;
  SortUnique(members);
  v.numbers_ = std::move(members);
  return v;
}

AttributeValue AttributeValue::BinarySet(std::vector<std::string> members) {
  AttributeValue v;
  v.type_ = ValueType::kBS;
  SortUnique(members);
  v.strings_ = std::move(members);
  return v;
}

const std::string& AttributeValue::str() const {
  THAW_DCHECK(type_ == ValueType::kS);
  return text_;
}
const std::string& AttributeValue::bytes() const {
  THAW_DCHECK(type_ == ValueType::kB);
  return text_;
}
const Number& AttributeValue::number() const {
  THAW_DCHECK(type_ == ValueType::kN);
  return number_;
}
bool AttributeValue::boolean() const {
  THAW_DCHECK(type_ == ValueType::kBool);
  return bool_;
}
const Item& AttributeValue::map() const {
  THAW_DCHECK(type_ == ValueType::kM);
  return map_;
}
Item& AttributeValue::mutable_map() {
  THAW_DCHECK(type_ == ValueType::kM);
  return map_;
}
const std::vector<AttributeValue>& AttributeValue::list() const {
  THAW_DCHECK(type_ == ValueType::kL);
  return list_;
}
std::vector<AttributeValue>& AttributeValue::mutable_list() {
  THAW_DCHECK(type_ == ValueType::kL);
  return list_;
}
const std::vector<std::string>& AttributeValue::string_members() const {
  THAW_DCHECK(type_ == ValueType::kSS || type_ == ValueType::kBS);
  return strings_;
}
const std::vector<Number>& AttributeValue::number_members() const {
  THAW_DCHECK(type_ == ValueType::kNS);
  return numbers_;
}
size_t AttributeValue::set_size() const {
  return type_ == ValueType::kNS ? numbers_.size() : strings_.size();
}

StatusOr<AttributeValue> AttributeValue::FromJson(const json& j) {
  if (!j.is_object()) return Invalid("Supplied AttributeValue must be a JSON object");
  // AWS's JSON reader skips members it does not know and members that are null, so {"X": 1}
  // counts as empty, as on AWS.
  const json* member = nullptr;
  ValueType type = ValueType::kNull;
  for (const auto& [key, value] : j.items()) {
    ValueType t;
    if (value.is_null() || !ParseTypeName(key, &t)) continue;
    if (member != nullptr) {
      // AWS reads numbers first: an invalid one is reported before the extra type.
      for (const auto& [other_key, other] : j.items()) {
        if (other_key == "N" && other.is_string()) {
          THAW_RETURN_IF_ERROR(Number::Parse(other.get_ref<const std::string&>()).status());
        }
      }
      return Invalid(
          "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
          "the supported datatypes");
    }
    member = &value;
    type = t;
  }
  if (member == nullptr) {
    return Invalid(
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
  }
  const json& m = *member;
  std::string_view name = TypeName(type);
  switch (type) {
    case ValueType::kS:
      if (!m.is_string()) return WrongJsonType(name);
      return String(m.get<std::string>());
    case ValueType::kN: {
      if (!m.is_string()) return WrongJsonType(name);
      THAW_ASSIGN_OR_RETURN(Number n, Number::Parse(m.get_ref<const std::string&>()));
      return Num(std::move(n));
    }
    case ValueType::kB: {
      THAW_ASSIGN_OR_RETURN(std::string bytes, DecodeBinary(m, name));
      return Binary(std::move(bytes));
    }
    case ValueType::kBool:
      if (!m.is_boolean()) return WrongJsonType(name);
      return Bool(m.get<bool>());
    case ValueType::kNull:
      if (!m.is_boolean()) return WrongJsonType(name);
      if (!m.get<bool>()) {
        return Invalid(std::string(kInvalidPrefix) +
                       "Null attribute value types must have the value of true");
      }
      return Null();
    case ValueType::kM: {
      if (!m.is_object()) return WrongJsonType(name);
      Item item;
      for (const auto& [key, value] : m.items()) {
        THAW_ASSIGN_OR_RETURN(AttributeValue v, FromJson(value));
        item.emplace(key, std::move(v));
      }
      return Map(std::move(item));
    }
    case ValueType::kL: {
      if (!m.is_array()) return WrongJsonType(name);
      std::vector<AttributeValue> list;
      list.reserve(m.size());
      for (const json& e : m) {
        THAW_ASSIGN_OR_RETURN(AttributeValue v, FromJson(e));
        list.push_back(std::move(v));
      }
      return List(std::move(list));
    }
    case ValueType::kSS:
    case ValueType::kNS:
    case ValueType::kBS: {
      if (!m.is_array()) return WrongJsonType(name);
      if (m.empty()) {
        // AWS's texts, the doubled space included.
        if (type == ValueType::kSS) {
          return Invalid(std::string(kInvalidPrefix) + "An string set  may not be empty");
        }
        if (type == ValueType::kNS) {
          return Invalid(std::string(kInvalidPrefix) + "An number set  may not be empty");
        }
        return Invalid(std::string(kInvalidPrefix) + "Binary sets should not be empty");
      }
      AttributeValue v;
      v.type_ = type;
      for (const json& e : m) {
        if (type == ValueType::kSS) {
          if (!e.is_string()) return WrongJsonType(name);
          v.strings_.push_back(e.get<std::string>());
        } else if (type == ValueType::kNS) {
          if (!e.is_string()) return WrongJsonType(name);
          THAW_ASSIGN_OR_RETURN(Number n, Number::Parse(e.get_ref<const std::string&>()));
          v.numbers_.push_back(std::move(n));
        } else {
          THAW_ASSIGN_OR_RETURN(std::string bytes, DecodeBinary(e, name));
          v.strings_.push_back(std::move(bytes));
        }
      }
      bool duplicates = type == ValueType::kNS ? SortUnique(v.numbers_) : SortUnique(v.strings_);
      if (duplicates) return Duplicates(type, m);
      return v;
    }
  }
  return Invalid(
      "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
}

json AttributeValue::ToJson() const {
  json out = json::object();
  std::string key(TypeName(type_));
  switch (type_) {
    case ValueType::kS:
      out[key] = text_;
      break;
    case ValueType::kN:
      out[key] = number_.ToString();
      break;
    case ValueType::kB:
      out[key] = Base64Encode(text_);
      break;
    case ValueType::kBool:
      out[key] = bool_;
      break;
    case ValueType::kNull:
      out[key] = true;
      break;
    case ValueType::kM:
      out[key] = ItemToJson(map_);
      break;
    case ValueType::kL: {
      json list = json::array();
      for (const AttributeValue& e : list_) list.push_back(e.ToJson());
      out[key] = std::move(list);
      break;
    }
    case ValueType::kSS: {
      out[key] = strings_;
      break;
    }
    case ValueType::kNS: {
      json list = json::array();
      for (const Number& n : numbers_) list.push_back(n.ToString());
      out[key] = std::move(list);
      break;
    }
    case ValueType::kBS: {
      json list = json::array();
      for (const std::string& b : strings_) list.push_back(Base64Encode(b));
      out[key] = std::move(list);
      break;
    }
  }
  return out;
}

size_t AttributeValue::Size() const {
  switch (type_) {
    case ValueType::kS:
    case ValueType::kB:
      return text_.size();
    case ValueType::kN:
      return number_.StorageSize();
    case ValueType::kBool:
    case ValueType::kNull:
      return 1;
    case ValueType::kM: {
      size_t size = 3;
      for (const auto& [name, value] : map_) size += name.size() + value.Size() + 1;
      return size;
    }
    case ValueType::kL: {
      size_t size = 3;
      for (const AttributeValue& e : list_) size += e.Size() + 1;
      return size;
    }
    case ValueType::kSS:
    case ValueType::kBS: {
      size_t size = 0;
      for (const std::string& s : strings_) size += s.size();
      return size;
    }
    case ValueType::kNS: {
      size_t size = 0;
      for (const Number& n : numbers_) size += n.StorageSize();
      return size;
    }
  }
  return 0;
}

bool operator==(const AttributeValue& a, const AttributeValue& b) {
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case ValueType::kS:
    case ValueType::kB:
      return a.text_ == b.text_;
    case ValueType::kN:
      return a.number_ == b.number_;
    case ValueType::kBool:
      return a.bool_ == b.bool_;
    case ValueType::kNull:
      return true;
    case ValueType::kM:
      return a.map_ == b.map_;
    case ValueType::kL:
      return a.list_ == b.list_;
    case ValueType::kSS:
    case ValueType::kBS:
      return a.strings_ == b.strings_;  // held sorted and unique
    case ValueType::kNS:
      return a.numbers_ == b.numbers_;
  }
  return false;
}

StatusOr<Item> ItemFromJson(const json& j) {
  if (!j.is_object()) return Invalid("Supplied Item must be a JSON object");
  Item item;
  for (const auto& [name, value] : j.items()) {
    THAW_ASSIGN_OR_RETURN(AttributeValue v, AttributeValue::FromJson(value));
    item.emplace(name, std::move(v));
  }
  return item;
}

json ItemToJson(const Item& item) {
  json out = json::object();
  for (const auto& [name, value] : item) out[name] = value.ToJson();
  return out;
}

size_t ItemSize(const Item& item) {
  size_t size = 0;
  for (const auto& [name, value] : item) size += name.size() + value.Size();
  return size;
}

Status CheckItemSize(const Item& item) {
  if (ItemSize(item) > kMaxItemSize) {
    return Invalid("Item size has exceeded the maximum allowed size");
  }
  return Status::Ok();
}

std::string EncodeKeyValue(const AttributeValue& value) {
  THAW_DCHECK(IsKeyType(value.type()));
  if (value.type() == ValueType::kN) return value.number().EncodeKey();
  return value.str_or_bytes();
}

StatusOr<AttributeValue> DecodeKeyValue(ValueType type, std::string_view bytes) {
  switch (type) {
    case ValueType::kS:
      return AttributeValue::String(std::string(bytes));
    case ValueType::kB:
      return AttributeValue::Binary(std::string(bytes));
    case ValueType::kN: {
      THAW_ASSIGN_OR_RETURN(Number n, Number::DecodeKey(bytes));
      return AttributeValue::Num(std::move(n));
    }
    default:
      return Invalid("not a key type");
  }
}

int CompareScalars(const AttributeValue& a, const AttributeValue& b) {
  THAW_DCHECK(a.type() == b.type() && IsKeyType(a.type()));
  if (a.type() == ValueType::kN) return a.number().Compare(b.number());
  // Bytewise as unsigned, which std::string::compare does (char_traits<char> compares as
  // unsigned char).
  int c = a.str_or_bytes().compare(b.str_or_bytes());
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace thaw::dynamodb
