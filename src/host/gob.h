// gob: Go's encoding/gob wire format, the subset that net/rpc and aws-lambda-go's go1.x messages
// use. Values are bools, ints, uints, floats, complex numbers, strings, []byte, structs (a pointer
// to a struct is sent as the struct), slices, arrays, maps and GobEncoder blobs; interface values
// are rejected. An Encoder writes one direction of one stream and a Decoder reads one: gob sends a
// type's definition once per stream, before the first value that needs it.
// Thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace thaw::host::gob {

// Go's typeId is an int32; held wider so range checks stay explicit.
using TypeId = int64_t;

// The type ids gob predefines. User types are numbered from kFirstUserId.
inline constexpr TypeId kBoolId = 1;
inline constexpr TypeId kIntId = 2;
inline constexpr TypeId kUintId = 3;
inline constexpr TypeId kFloatId = 4;
inline constexpr TypeId kBytesId = 5;
inline constexpr TypeId kStringId = 6;
inline constexpr TypeId kComplexId = 7;
inline constexpr TypeId kInterfaceId = 8;
inline constexpr TypeId kFirstUserId = 64;

// Go's encoder refuses messages of 1 GiB; this reader stops far earlier (Lambda's payloads are at
// most a few MiB).
inline constexpr size_t kDefaultMaxMessage = size_t{64} << 20;

enum class Kind {
  kBool,
  kInt,
  kUint,
  kFloat,
  kComplex,
  kBytes,
  kString,
  kStruct,
  kSlice,
  kArray,
  kMap,
  kGobEncoder,
};

struct FieldType {
  std::string name;
  TypeId id = 0;
};

// A type definition, as gob's wireType carries it.
struct WireType {
  Kind kind = Kind::kStruct;
  std::string name;
  TypeId elem = 0;                // kSlice, kArray, kMap (the map's value)
  TypeId key = 0;                 // kMap
  int64_t len = 0;                // kArray
  std::vector<FieldType> fields;  // kStruct, in declaration order
};

struct Field;

// A value on the wire. A struct holds only the fields that were (or are to be) sent: gob omits
// zero numbers, empty strings and slices and nil pointers, so a missing field is Go's zero value.
struct Value {
  Kind kind = Kind::kStruct;
  uint64_t uint_value = 0;    // kBoolId (0 or 1), kUintId
  int64_t int_value = 0;      // kIntId
  double float_value = 0;     // kFloatId; kComplexId's real part
  double imag_value = 0;      // kComplexId
  std::string bytes;          // kBytesId, kStringId, kGobEncoder
  std::vector<Value> elems;   // kSlice, kArray; kMap as key, value, key, value, ...
  std::vector<Field> fields;  // kStruct

  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Uint(uint64_t u);
  static Value String(std::string s);
  static Value Bytes(std::string b);
  static Value Struct(std::vector<Field> fields);
  static Value Slice(std::vector<Value> elems);

  // The struct field called `name`, or nullptr when it was not sent.
  const Value* Find(std::string_view name) const;
};

struct Field {
  std::string name;
  Value value;
};

// Reading a struct field the way Go decodes into a struct: a field that was not sent is zero, and
// one whose wire kind differs from the wanted kind is InvalidArgument.
StatusOr<const Value*> GetField(const Value& s, std::string_view name, Kind kind);
StatusOr<std::string> GetString(const Value& s, std::string_view name);
StatusOr<std::string> GetBytes(const Value& s, std::string_view name);
StatusOr<int64_t> GetInt(const Value& s, std::string_view name);
StatusOr<uint64_t> GetUint(const Value& s, std::string_view name);
StatusOr<bool> GetBool(const Value& s, std::string_view name);

class Encoder {
 public:
  Encoder() = default;

  // Declares a type this encoder may send and returns its local id. Field and element ids are
  // predefined ids or ids returned earlier. Wire ids are given on first use in the order Go's
  // encoder gives them (a struct before its fields, a slice after its element), so that a stream
  // matches Go's byte for byte.
  TypeId DefineStruct(std::string name, std::vector<FieldType> fields);
  TypeId DefineSlice(std::string name, TypeId elem);

  // Appends to `out` the definitions `type` needs that this stream has not sent, then `value`.
  // InvalidArgument if `value` does not fit `type`. Supports bool, int, uint, string, bytes,
  // struct and slice types.
  Status Encode(TypeId type, const Value& value, std::string& out);

 private:
  const WireType* Find(TypeId id) const;
  void Number(TypeId id);
  Status SendDefinitions(TypeId id, std::string& out);
  Status EncodeValue(TypeId type, const Value& value, std::string& out) const;
  Status EncodeStruct(const WireType& type, const Value& value, std::string& out) const;

  std::map<TypeId, WireType> types_;  // by local id
  std::map<TypeId, TypeId> wire_ids_;
  std::set<TypeId> sent_;
  TypeId next_local_ = kFirstUserId;
  TypeId next_wire_ = kFirstUserId;
};

class Decoder {
 public:
  // Reads up to `size` bytes into `data` and returns how many, 0 at the end of the stream. Its
  // errors are passed through Decode unchanged.
  using ReadFn = std::function<StatusOr<size_t>(char* data, size_t size)>;

  explicit Decoder(size_t max_message = kDefaultMaxMessage) : max_message_(max_message) {}

  // Reads messages until one holds a value, recording type definitions on the way. The end of
  // the stream (between or inside messages) is Unavailable; malformed input is InvalidArgument.
  StatusOr<Value> Decode(const ReadFn& read);

  // Handles one message without its length prefix: records a type definition (nullopt) or
  // decodes a value.
  StatusOr<std::optional<Value>> DecodeMessage(std::string_view message);

  // The definition received for `id` (or a predefined one), or nullptr.
  const WireType* Find(TypeId id) const;

 private:
  size_t max_message_;
  std::map<TypeId, WireType> types_;
};

// gob's unsigned and signed integer encodings, appended to `out`.
void AppendUint(uint64_t x, std::string& out);
void AppendInt(int64_t i, std::string& out);

}  // namespace thaw::host::gob
