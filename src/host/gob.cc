#include "host/gob.h"

#include <bit>
#include <cstring>
#include <limits>
#include <utility>

namespace thaw::host::gob {
namespace {

// The ids Go gives the types that describe types (encoding/gob/type.go checks 16 to 23).
constexpr TypeId kWireType = 16;
constexpr TypeId kArrayType = 17;
constexpr TypeId kCommonType = 18;
constexpr TypeId kSliceType = 19;
constexpr TypeId kStructType = 20;
constexpr TypeId kFieldType = 21;
constexpr TypeId kFieldTypeSlice = 22;
constexpr TypeId kMapType = 23;
constexpr TypeId kGobEncoderType = 24;

constexpr TypeId kMaxId = std::numeric_limits<int32_t>::max();
constexpr int kMaxDepth = 64;
constexpr size_t kMaxTypes = 1 << 16;
// A Value is ~130 bytes, so a message of one-byte elements could cost 130 times its size; the
// go1.x messages hold a few dozen values.
constexpr size_t kMaxValuesPerMessage = 1 << 16;

WireType StructDef(std::string name, std::vector<FieldType> fields) {
  WireType t;
  t.name = std::move(name);
  t.fields = std::move(fields);
  return t;
}

// Go's own definitions of wireType and friends; type definitions are values of kWireType.
const std::map<TypeId, WireType>& Bootstrap() {
  static const std::map<TypeId, WireType> types = [] {
    std::map<TypeId, WireType> m;
    m[kWireType] = StructDef("wireType", {{"ArrayT", kArrayType},
                                          {"SliceT", kSliceType},
                                          {"StructT", kStructType},
                                          {"MapT", kMapType},
                                          {"GobEncoderT", kGobEncoderType},
                                          {"BinaryMarshalerT", kGobEncoderType},
                                          {"TextMarshalerT", kGobEncoderType}});
    m[kArrayType] =
        StructDef("arrayType", {{"CommonType", kCommonType}, {"Elem", kIntId}, {"Len", kIntId}});
    m[kCommonType] = StructDef("CommonType", {{"Name", kStringId}, {"Id", kIntId}});
    m[kSliceType] = StructDef("sliceType", {{"CommonType", kCommonType}, {"Elem", kIntId}});
    m[kStructType] =
        StructDef("structType", {{"CommonType", kCommonType}, {"Field", kFieldTypeSlice}});
    m[kFieldType] = StructDef("fieldType", {{"Name", kStringId}, {"Id", kIntId}});
    WireType fields;
    fields.kind = Kind::kSlice;
    fields.name = "[]fieldType";
    fields.elem = kFieldType;
    m[kFieldTypeSlice] = fields;
    m[kMapType] =
        StructDef("mapType", {{"CommonType", kCommonType}, {"Key", kIntId}, {"Elem", kIntId}});
    m[kGobEncoderType] = StructDef("gobEncoderType", {{"CommonType", kCommonType}});
    return m;
  }();
  return types;
}

// The kinds of ids 1 to 7.
std::optional<Kind> BasicKind(TypeId id) {
  static constexpr Kind kBasic[] = {Kind::kBool,  Kind::kInt,    Kind::kUint,   Kind::kFloat,
                                    Kind::kBytes, Kind::kString, Kind::kComplex};
  if (id < kBoolId || id > kComplexId) return std::nullopt;
  return kBasic[id - kBoolId];
}

const char* KindName(Kind kind) {
  static constexpr const char* kNames[] = {"bool",    "int",    "uint",   "float",
                                           "complex", "[]byte", "string", "struct",
                                           "slice",   "array",  "map",    "GobEncoder"};
  return kNames[static_cast<int>(kind)];
}

Status Corrupt(const std::string& what) { return Status::InvalidArgument("gob: " + what); }

// Reads gob's primitives from one message, never past its end.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  size_t remaining() const { return data_.size() - pos_; }

  // An unsigned integer: one byte below 0x80, else the negated byte count and big-endian bytes.
  StatusOr<uint64_t> Uint() {
    if (remaining() == 0) return Corrupt("message ends inside an integer");
    auto b = static_cast<uint8_t>(data_[pos_++]);
    if (b < 0x80) return uint64_t{b};
    size_t n = 256 - b;
    if (n > 8) return Corrupt("integer of " + std::to_string(n) + " bytes");
    if (remaining() < n) return Corrupt("message ends inside an integer");
    uint64_t x = 0;
    for (size_t i = 0; i < n; ++i) x = (x << 8) | static_cast<uint8_t>(data_[pos_++]);
    return x;
  }

  // A signed integer: bit 0 says whether the rest is complemented.
  StatusOr<int64_t> Int() {
    THAW_ASSIGN_OR_RETURN(uint64_t u, Uint());
    auto i = static_cast<int64_t>(u >> 1);
    return (u & 1) != 0 ? ~i : i;
  }

  // A byte count and that many bytes.
  StatusOr<std::string> Bytes() {
    THAW_ASSIGN_OR_RETURN(uint64_t n, Uint());
    if (n > remaining()) {
      return Corrupt("string of " + std::to_string(n) + " bytes in the " +
                     std::to_string(remaining()) + " left of the message");
    }
    std::string s(data_.substr(pos_, n));
    pos_ += n;
    return s;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// Decodes values against the type definitions a Decoder holds.
class ValueReader {
 public:
  ValueReader(const Decoder& decoder, Reader& in) : decoder_(decoder), in_(in) {}

  StatusOr<Value> Read(TypeId id, int depth) {
    if (depth > kMaxDepth) return Corrupt("values nest deeper than " + std::to_string(kMaxDepth));
    if (budget_ == 0) {
      return Corrupt("more than " + std::to_string(kMaxValuesPerMessage) + " values in a message");
    }
    --budget_;
    if (id == kInterfaceId) return Corrupt("interface values are not supported");
    if (std::optional<Kind> basic = BasicKind(id)) return ReadBasic(*basic);
    const WireType* type = decoder_.Find(id);
    if (type == nullptr) return Corrupt("value of undefined type id " + std::to_string(id));
    switch (type->kind) {
      case Kind::kStruct:
        return ReadStruct(*type, depth);
      case Kind::kSlice:
      case Kind::kArray: {
        THAW_ASSIGN_OR_RETURN(uint64_t n, in_.Uint());
        if (type->kind == Kind::kArray && n != static_cast<uint64_t>(type->len)) {
          return Corrupt("array " + type->name + " of length " + std::to_string(type->len) +
                         " sent with " + std::to_string(n) + " elements");
        }
        // Every element takes at least one byte, which bounds n before anything is allocated.
        if (n > in_.remaining() || n > budget_) {
          return Corrupt("slice of " + std::to_string(n) + " elements");
        }
        Value v;
        v.kind = type->kind;
        v.elems.reserve(n);
        for (uint64_t i = 0; i < n; ++i) {
          THAW_ASSIGN_OR_RETURN(Value elem, Read(type->elem, depth + 1));
          v.elems.push_back(std::move(elem));
        }
        return v;
      }
      case Kind::kMap: {
        THAW_ASSIGN_OR_RETURN(uint64_t n, in_.Uint());
        if (n > in_.remaining() / 2 || n > budget_ / 2) {
          return Corrupt("map of " + std::to_string(n) + " entries");
        }
        Value v;
        v.kind = Kind::kMap;
        v.elems.reserve(2 * n);
        for (uint64_t i = 0; i < n; ++i) {
          THAW_ASSIGN_OR_RETURN(Value key, Read(type->key, depth + 1));
          THAW_ASSIGN_OR_RETURN(Value elem, Read(type->elem, depth + 1));
          v.elems.push_back(std::move(key));
          v.elems.push_back(std::move(elem));
        }
        return v;
      }
      case Kind::kGobEncoder: {
        Value v;
        v.kind = Kind::kGobEncoder;
        THAW_ASSIGN_OR_RETURN(v.bytes, in_.Bytes());
        return v;
      }
      default:
        return Corrupt("type id " + std::to_string(id) + " has no usable definition");
    }
  }

  // Fields arrive as (delta from the previous field number, value) pairs, ended by a zero delta.
  StatusOr<Value> ReadStruct(const WireType& type, int depth) {
    Value v;
    v.kind = Kind::kStruct;
    size_t next = 0;  // the lowest field number the next delta may reach
    for (;;) {
      THAW_ASSIGN_OR_RETURN(uint64_t delta, in_.Uint());
      if (delta == 0) return v;
      if (delta > type.fields.size() - next) {
        return Corrupt("field number out of range in struct " + type.name);
      }
      const FieldType& field = type.fields[next + delta - 1];
      next += delta;
      THAW_ASSIGN_OR_RETURN(Value value, Read(field.id, depth + 1));
      v.fields.push_back({field.name, std::move(value)});
    }
  }

 private:
  StatusOr<Value> ReadBasic(Kind kind) {
    Value v;
    v.kind = kind;
    switch (kind) {
      case Kind::kBool: {
        THAW_ASSIGN_OR_RETURN(uint64_t u, in_.Uint());
        v.uint_value = u != 0 ? 1 : 0;
        break;
      }
      case Kind::kInt: {
        THAW_ASSIGN_OR_RETURN(v.int_value, in_.Int());
        break;
      }
      case Kind::kUint: {
        THAW_ASSIGN_OR_RETURN(v.uint_value, in_.Uint());
        break;
      }
      case Kind::kFloat: {
        THAW_ASSIGN_OR_RETURN(v.float_value, ReadFloat());
        break;
      }
      case Kind::kComplex: {
        THAW_ASSIGN_OR_RETURN(v.float_value, ReadFloat());
        THAW_ASSIGN_OR_RETURN(v.imag_value, ReadFloat());
        break;
      }
      default: {
        THAW_ASSIGN_OR_RETURN(v.bytes, in_.Bytes());
        break;
      }
    }
    return v;
  }

  // Go sends a float64's bits byte-reversed, so that small exponents make short integers.
  StatusOr<double> ReadFloat() {
    THAW_ASSIGN_OR_RETURN(uint64_t u, in_.Uint());
    return std::bit_cast<double>(__builtin_bswap64(u));
  }

  const Decoder& decoder_;
  Reader& in_;
  size_t budget_ = kMaxValuesPerMessage;
};

Status CheckId(TypeId id, const std::string& what) {
  if (id <= 0 || id > kMaxId) return Corrupt(what + " refers to type id " + std::to_string(id));
  return Status::Ok();
}

// Turns a decoded wireType into a WireType.
StatusOr<WireType> ToWireType(const Value& wire) {
  if (wire.fields.size() != 1) return Corrupt("type definition must describe exactly one type");
  const Field& which = wire.fields[0];
  const Value& body = which.value;
  WireType t;
  THAW_ASSIGN_OR_RETURN(const Value* common, GetField(body, "CommonType", Kind::kStruct));
  if (common != nullptr) {
    THAW_ASSIGN_OR_RETURN(t.name, GetString(*common, "Name"));
  }
  if (which.name == "StructT") {
    t.kind = Kind::kStruct;
    THAW_ASSIGN_OR_RETURN(const Value* fields, GetField(body, "Field", Kind::kSlice));
    if (fields != nullptr) {
      for (const Value& f : fields->elems) {
        FieldType field;
        THAW_ASSIGN_OR_RETURN(field.name, GetString(f, "Name"));
        THAW_ASSIGN_OR_RETURN(field.id, GetInt(f, "Id"));
        THAW_RETURN_IF_ERROR(CheckId(field.id, "field " + field.name + " of " + t.name));
        t.fields.push_back(std::move(field));
      }
    }
    return t;
  }
  if (which.name == "GobEncoderT" || which.name == "BinaryMarshalerT" ||
      which.name == "TextMarshalerT") {
    t.kind = Kind::kGobEncoder;
    return t;
  }
  THAW_ASSIGN_OR_RETURN(t.elem, GetInt(body, "Elem"));
  THAW_RETURN_IF_ERROR(CheckId(t.elem, "element of " + t.name));
  if (which.name == "SliceT") {
    t.kind = Kind::kSlice;
  } else if (which.name == "ArrayT") {
    t.kind = Kind::kArray;
    THAW_ASSIGN_OR_RETURN(t.len, GetInt(body, "Len"));
    if (t.len < 0) return Corrupt("array " + t.name + " of negative length");
  } else {
    t.kind = Kind::kMap;
    THAW_ASSIGN_OR_RETURN(t.key, GetInt(body, "Key"));
    THAW_RETURN_IF_ERROR(CheckId(t.key, "key of " + t.name));
  }
  return t;
}

// Strings, []byte and whole messages: a byte count, then the bytes.
void AppendBytes(std::string_view b, std::string& out) {
  AppendUint(b.size(), out);
  out.append(b);
}

}  // namespace

Value Value::Bool(bool b) {
  Value v;
  v.kind = Kind::kBool;
  v.uint_value = b ? 1 : 0;
  return v;
}

Value Value::Int(int64_t i) {
  Value v;
  v.kind = Kind::kInt;
  v.int_value = i;
  return v;
}

Value Value::Uint(uint64_t u) {
  Value v;
  v.kind = Kind::kUint;
  v.uint_value = u;
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.kind = Kind::kString;
  v.bytes = std::move(s);
  return v;
}

Value Value::Bytes(std::string b) {
  Value v;
  v.kind = Kind::kBytes;
  v.bytes = std::move(b);
  return v;
}

Value Value::Struct(std::vector<Field> fields) {
  Value v;
  v.kind = Kind::kStruct;
  v.fields = std::move(fields);
  return v;
}

Value Value::Slice(std::vector<Value> elems) {
  Value v;
  v.kind = Kind::kSlice;
  v.elems = std::move(elems);
  return v;
}

const Value* Value::Find(std::string_view name) const {
  for (const Field& f : fields) {
    if (f.name == name) return &f.value;
  }
  return nullptr;
}

StatusOr<const Value*> GetField(const Value& s, std::string_view name, Kind kind) {
  if (s.kind != Kind::kStruct) {
    return Corrupt("want a struct with field " + std::string(name) + ", got a " + KindName(s.kind));
  }
  const Value* v = s.Find(name);
  if (v != nullptr && v->kind != kind) {
    return Corrupt("field " + std::string(name) + " is a " + KindName(v->kind) + ", want a " +
                   KindName(kind));
  }
  return v;
}

StatusOr<std::string> GetString(const Value& s, std::string_view name) {
  THAW_ASSIGN_OR_RETURN(const Value* v, GetField(s, name, Kind::kString));
  return v != nullptr ? v->bytes : std::string();
}

StatusOr<std::string> GetBytes(const Value& s, std::string_view name) {
  THAW_ASSIGN_OR_RETURN(const Value* v, GetField(s, name, Kind::kBytes));
  return v != nullptr ? v->bytes : std::string();
}

StatusOr<int64_t> GetInt(const Value& s, std::string_view name) {
  THAW_ASSIGN_OR_RETURN(const Value* v, GetField(s, name, Kind::kInt));
  return v != nullptr ? v->int_value : 0;
}

StatusOr<uint64_t> GetUint(const Value& s, std::string_view name) {
  THAW_ASSIGN_OR_RETURN(const Value* v, GetField(s, name, Kind::kUint));
  return v != nullptr ? v->uint_value : 0;
}

StatusOr<bool> GetBool(const Value& s, std::string_view name) {
  THAW_ASSIGN_OR_RETURN(const Value* v, GetField(s, name, Kind::kBool));
  return v != nullptr && v->uint_value != 0;
}

void AppendUint(uint64_t x, std::string& out) {
  if (x < 0x80) {
    out.push_back(static_cast<char>(x));
    return;
  }
  char buf[8];
  int n = 0;
  for (; x != 0; x >>= 8) buf[7 - n++] = static_cast<char>(x & 0xff);
  out.push_back(static_cast<char>(256 - n));
  out.append(buf + 8 - n, n);
}

void AppendInt(int64_t i, std::string& out) {
  auto u = static_cast<uint64_t>(i);
  AppendUint(i < 0 ? (~u << 1) | 1 : u << 1, out);
}

// --- Encoder ---

TypeId Encoder::DefineStruct(std::string name, std::vector<FieldType> fields) {
  TypeId id = next_local_++;
  types_[id] = StructDef(std::move(name), std::move(fields));
  return id;
}

TypeId Encoder::DefineSlice(std::string name, TypeId elem) {
  TypeId id = next_local_++;
  WireType& t = types_[id];
  t.kind = Kind::kSlice;
  t.name = std::move(name);
  t.elem = elem;
  return id;
}

const WireType* Encoder::Find(TypeId id) const {
  const auto& table = id < kFirstUserId ? Bootstrap() : types_;
  auto it = table.find(id);
  return it == table.end() ? nullptr : &it->second;
}

// Go numbers a struct before its fields' types and a slice after its element's type.
void Encoder::Number(TypeId id) {
  if (id < kFirstUserId || wire_ids_.contains(id)) return;
  const WireType* type = Find(id);
  if (type == nullptr) return;
  if (type->kind == Kind::kStruct) {
    wire_ids_[id] = next_wire_++;
    for (const FieldType& f : type->fields) Number(f.id);
  } else {
    if (type->elem < id) Number(type->elem);  // element types are declared first: no cycles
    wire_ids_[id] = next_wire_++;
  }
}

// As Go's sendType: a type's own definition first, then those of its fields' (element's) types.
Status Encoder::SendDefinitions(TypeId id, std::string& out) {
  if (id < kFirstUserId || sent_.contains(id)) return Status::Ok();
  const WireType* type = Find(id);
  if (type == nullptr) return Status::InvalidArgument("gob: undefined type " + std::to_string(id));
  sent_.insert(id);
  Value common =
      Value::Struct({{"Name", Value::String(type->name)}, {"Id", Value::Int(wire_ids_[id])}});
  auto wire_id = [this](TypeId t) { return t < kFirstUserId ? t : wire_ids_[t]; };
  Value def;
  if (type->kind == Kind::kStruct) {
    std::vector<Value> fields;
    for (const FieldType& f : type->fields) {
      fields.push_back(
          Value::Struct({{"Name", Value::String(f.name)}, {"Id", Value::Int(wire_id(f.id))}}));
    }
    def = Value::Struct({{"StructT", Value::Struct({{"CommonType", std::move(common)},
                                                    {"Field", Value::Slice(std::move(fields))}})}});
  } else {
    def = Value::Struct({{"SliceT", Value::Struct({{"CommonType", std::move(common)},
                                                   {"Elem", Value::Int(wire_id(type->elem))}})}});
  }
  std::string body;
  AppendInt(-wire_ids_[id], body);
  THAW_RETURN_IF_ERROR(EncodeStruct(*Find(kWireType), def, body));
  AppendBytes(body, out);
  if (type->kind == Kind::kStruct) {
    for (const FieldType& f : type->fields) THAW_RETURN_IF_ERROR(SendDefinitions(f.id, out));
    return Status::Ok();
  }
  return SendDefinitions(type->elem, out);
}

Status Encoder::Encode(TypeId type, const Value& value, std::string& out) {
  const WireType* def = Find(type);
  if (def == nullptr && !BasicKind(type)) {
    return Status::InvalidArgument("gob: undefined type " + std::to_string(type));
  }
  Number(type);
  THAW_RETURN_IF_ERROR(SendDefinitions(type, out));
  std::string body;
  AppendInt(type < kFirstUserId ? type : wire_ids_[type], body);
  if (def != nullptr && def->kind == Kind::kStruct) {
    THAW_RETURN_IF_ERROR(EncodeStruct(*def, value, body));
  } else {
    AppendUint(0, body);  // a value that is not a struct is sent as field 0 of no struct
    THAW_RETURN_IF_ERROR(EncodeValue(type, value, body));
  }
  AppendBytes(body, out);
  return Status::Ok();
}

Status Encoder::EncodeValue(TypeId type, const Value& value, std::string& out) const {
  const WireType* def = Find(type);
  std::optional<Kind> kind = def != nullptr ? std::optional<Kind>(def->kind) : BasicKind(type);
  if (!kind || *kind != value.kind) {
    return Status::InvalidArgument(std::string("gob: a ") + KindName(value.kind) +
                                   " value for type " + std::to_string(type));
  }
  switch (*kind) {
    case Kind::kBool:
    case Kind::kUint:
      AppendUint(value.uint_value, out);
      return Status::Ok();
    case Kind::kInt:
      AppendInt(value.int_value, out);
      return Status::Ok();
    case Kind::kString:
    case Kind::kBytes:
      AppendBytes(value.bytes, out);
      return Status::Ok();
    case Kind::kStruct:
      return EncodeStruct(*def, value, out);
    case Kind::kSlice:
      AppendUint(value.elems.size(), out);
      for (const Value& e : value.elems) THAW_RETURN_IF_ERROR(EncodeValue(def->elem, e, out));
      return Status::Ok();
    default:
      return Status::InvalidArgument(std::string("gob: encoding ") + KindName(*kind) +
                                     " values is not supported");
  }
}

// Go skips zero numbers, empty strings and slices (and nil pointers, which are absent here); a
// struct field is always sent.
Status Encoder::EncodeStruct(const WireType& type, const Value& value, std::string& out) const {
  if (value.kind != Kind::kStruct) {
    return Status::InvalidArgument("gob: a " + std::string(KindName(value.kind)) +
                                   " value for struct " + type.name);
  }
  for (const Field& f : value.fields) {
    bool known = false;
    for (const FieldType& t : type.fields) known = known || t.name == f.name;
    if (!known) return Status::InvalidArgument("gob: struct " + type.name + " has no " + f.name);
  }
  size_t last = 0;  // field number + 1 of the last field sent
  for (size_t i = 0; i < type.fields.size(); ++i) {
    const Value* v = value.Find(type.fields[i].name);
    if (v == nullptr) continue;
    bool zero = false;
    switch (v->kind) {
      case Kind::kBool:
      case Kind::kUint:
        zero = v->uint_value == 0;
        break;
      case Kind::kInt:
        zero = v->int_value == 0;
        break;
      case Kind::kString:
      case Kind::kBytes:
        zero = v->bytes.empty();
        break;
      case Kind::kSlice:
        zero = v->elems.empty();
        break;
      default:
        break;
    }
    if (zero) continue;
    AppendUint(i + 1 - last, out);
    last = i + 1;
    THAW_RETURN_IF_ERROR(EncodeValue(type.fields[i].id, *v, out));
  }
  AppendUint(0, out);
  return Status::Ok();
}

// --- Decoder ---

const WireType* Decoder::Find(TypeId id) const {
  const auto& table = id < kFirstUserId ? Bootstrap() : types_;
  auto it = table.find(id);
  return it == table.end() ? nullptr : &it->second;
}

StatusOr<std::optional<Value>> Decoder::DecodeMessage(std::string_view message) {
  Reader in(message);
  ValueReader values(*this, in);
  THAW_ASSIGN_OR_RETURN(int64_t id, in.Int());
  if (id < 0) {
    // A definition of type -id, sent as a wireType value.
    if (id < -kMaxId) return Corrupt("type id " + std::to_string(id) + " out of range");
    id = -id;
    if (id < kFirstUserId) return Corrupt("definition of predefined type id " + std::to_string(id));
    if (types_.contains(id)) return Corrupt("type id " + std::to_string(id) + " defined twice");
    if (types_.size() >= kMaxTypes) return Corrupt("too many type definitions");
    THAW_ASSIGN_OR_RETURN(Value wire, values.ReadStruct(*Find(kWireType), 1));
    if (in.remaining() != 0) return Corrupt("extra data after a type definition");
    THAW_ASSIGN_OR_RETURN(WireType type, ToWireType(wire));
    types_[id] = std::move(type);
    return std::optional<Value>();
  }
  if (id == 0 || id > kMaxId) return Corrupt("value of type id " + std::to_string(id));
  const WireType* type = Find(id);
  Value value;
  if (type != nullptr && type->kind == Kind::kStruct) {
    THAW_ASSIGN_OR_RETURN(value, values.ReadStruct(*type, 1));
  } else {
    THAW_ASSIGN_OR_RETURN(uint64_t delta, in.Uint());
    if (delta != 0) return Corrupt("non-zero field delta before a value that is not a struct");
    THAW_ASSIGN_OR_RETURN(value, values.Read(id, 1));
  }
  if (in.remaining() != 0) {
    return Corrupt(std::to_string(in.remaining()) + " bytes left over after a value of type id " +
                   std::to_string(id));
  }
  return std::optional<Value>(std::move(value));
}

StatusOr<Value> Decoder::Decode(const ReadFn& read) {
  // Fills `data` completely; `inside` says whether the stream may end cleanly here.
  auto read_full = [&read](char* data, size_t size, bool inside) -> Status {
    for (size_t got = 0; got < size;) {
      THAW_ASSIGN_OR_RETURN(size_t n, read(data + got, size - got));
      if (n == 0) {
        return Status::Unavailable(inside || got > 0 ? "gob: the stream ended inside a message"
                                                     : "gob: end of stream");
      }
      got += n;
    }
    return Status::Ok();
  };
  for (;;) {
    char prefix[9];
    THAW_RETURN_IF_ERROR(read_full(prefix, 1, false));
    auto b = static_cast<uint8_t>(prefix[0]);
    size_t n = b < 0x80 ? 0 : 256 - b;
    if (n > 8) return Corrupt("message length of " + std::to_string(n) + " bytes");
    THAW_RETURN_IF_ERROR(read_full(prefix + 1, n, true));
    THAW_ASSIGN_OR_RETURN(uint64_t length, Reader(std::string_view(prefix, n + 1)).Uint());
    if (length == 0) return Corrupt("empty message");
    if (length > max_message_) {
      return Corrupt("message of " + std::to_string(length) + " bytes exceeds the limit of " +
                     std::to_string(max_message_));
    }
    // Grown as bytes arrive so a bogus length costs no more memory than the data sent.
    std::string message;
    while (message.size() < length) {
      size_t old = message.size();
      message.resize(old + std::min<uint64_t>(length - old, size_t{1} << 20));
      THAW_RETURN_IF_ERROR(read_full(message.data() + old, message.size() - old, true));
    }
    THAW_ASSIGN_OR_RETURN(std::optional<Value> value, DecodeMessage(message));
    if (value) return std::move(*value);
  }
}

}  // namespace thaw::host::gob
