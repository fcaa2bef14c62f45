#include "filter/pattern.h"

#include <cstdint>
#include <optional>
#include <utility>

#include "base/codec.h"

namespace thaw::filter {

using nlohmann::json;

namespace {

enum class Op { kLess, kLessEqual, kEqual, kGreaterEqual, kGreater };

struct Matcher {
  enum class Kind { kEquals, kEqualsIgnoreCase, kPrefix, kSuffix, kAnythingBut, kNumeric, kExists };
  Kind kind = Kind::kEquals;
  json value;                                // kEquals
  std::string text;                          // kEqualsIgnoreCase (lower case), kPrefix, kSuffix
  std::vector<json> values;                  // kAnythingBut
  std::vector<std::pair<Op, double>> range;  // kNumeric
  bool exists = false;                       // kExists
};

// event-ruler compares numbers only within this range.
constexpr double kNumericLimit = 5.0e9;

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsInteger(const json& j) { return j.is_number_integer(); }  // signed or unsigned

// Equality as Lambda documents it: by type, and an integer is never equal to a float.
bool SameValue(const json& a, const json& b) {
  if (a.is_string() && b.is_string())
    return a.get_ref<const std::string&>() == b.get_ref<const std::string&>();
  if (a.is_null() || b.is_null()) return a.is_null() && b.is_null();
  if (a.is_boolean() || b.is_boolean()) {
    return a.is_boolean() && b.is_boolean() && a.get<bool>() == b.get<bool>();
  }
  if (a.is_number_float() && b.is_number_float()) return a.get<double>() == b.get<double>();
  if (IsInteger(a) && IsInteger(b)) {
    bool a_neg = a.is_number_unsigned() ? false : a.get<int64_t>() < 0;
    bool b_neg = b.is_number_unsigned() ? false : b.get<int64_t>() < 0;
    if (a_neg != b_neg) return false;
    if (a_neg) return a.get<int64_t>() == b.get<int64_t>();
    return a.get<uint64_t>() == b.get<uint64_t>();
  }
  return false;
}

bool Compare(double v, Op op, double bound) {
  switch (op) {
    case Op::kLess:
      return v < bound;
    case Op::kLessEqual:
      return v <= bound;
    case Op::kEqual:
      return v == bound;
    case Op::kGreaterEqual:
      return v >= bound;
    case Op::kGreater:
      return v > bound;
  }
  return false;
}

bool ValueMatches(const Matcher& m, const json& v) {
  switch (m.kind) {
    case Matcher::Kind::kEquals:
      return SameValue(m.value, v);
    case Matcher::Kind::kEqualsIgnoreCase:
      return v.is_string() && AsciiLower(v.get_ref<const std::string&>()) == m.text;
    case Matcher::Kind::kPrefix:
      return v.is_string() && v.get_ref<const std::string&>().starts_with(m.text);
    case Matcher::Kind::kSuffix:
      return v.is_string() && v.get_ref<const std::string&>().ends_with(m.text);
    case Matcher::Kind::kAnythingBut:
      for (const json& x : m.values) {
        if (SameValue(x, v)) return false;
      }
      return true;
    case Matcher::Kind::kNumeric: {
      if (!v.is_number()) return false;
      double d = v.get<double>();
      if (!(d >= -kNumericLimit && d <= kNumericLimit)) return false;
      for (const auto& [op, bound] : m.range) {
        if (!Compare(d, op, bound)) return false;
      }
      return true;
    }
    case Matcher::Kind::kExists:
      return false;  // decided on the whole set of values, in LeafMatches
  }
  return false;
}

const json* Find(const json* object, const std::string& key) {
  if (object == nullptr || !object->is_object()) return nullptr;
  auto it = object->find(key);
  return it == object->end() ? nullptr : &*it;
}

// The leaf values at a path: a scalar, or the scalars of an array (nested arrays flattened,
// objects skipped). Iterative, so a deeply nested record cannot exhaust the stack.
void CollectLeaves(const json* v, std::vector<const json*>* out) {
  if (v == nullptr) return;
  std::vector<const json*> stack{v};
  while (!stack.empty()) {
    const json* x = stack.back();
    stack.pop_back();
    if (x->is_array()) {
      for (auto it = x->rbegin(); it != x->rend(); ++it) stack.push_back(&*it);
    } else if (!x->is_object()) {
      out->push_back(x);
    }
  }
}

// The object elements of an array, nested arrays flattened; *scalars says whether it held any
// other value.
void CollectObjects(const json& array, std::vector<const json*>* out, bool* scalars) {
  std::vector<const json*> stack{&array};
  while (!stack.empty()) {
    const json* x = stack.back();
    stack.pop_back();
    if (x->is_array()) {
      for (auto it = x->rbegin(); it != x->rend(); ++it) stack.push_back(&*it);
    } else if (x->is_object()) {
      out->push_back(x);
    } else {
      *scalars = true;
    }
  }
}

}  // namespace

struct Child;

struct Node {
  std::vector<std::pair<std::string, std::vector<Matcher>>> leaves;
  std::vector<Child> children;
  std::vector<std::vector<Node>> ors;
};

struct Child {
  std::string key;
  Node node;
};

namespace {

bool MatchNode(const Node& node, const json* v);

bool LeafMatches(const std::vector<Matcher>& matchers, const json* v) {
  std::vector<const json*> values;
  CollectLeaves(v, &values);
  for (const Matcher& m : matchers) {
    if (m.kind == Matcher::Kind::kExists) {
      if (values.empty() != m.exists) return true;
      continue;
    }
    for (const json* x : values) {
      if (ValueMatches(m, *x)) return true;
    }
  }
  return false;
}

bool ChildMatches(const Node& node, const json* v) {
  if (v == nullptr) return MatchNode(node, nullptr);
  if (v->is_object()) return MatchNode(node, v);
  if (!v->is_array()) return false;
  std::vector<const json*> objects;
  bool scalars = false;
  CollectObjects(*v, &objects, &scalars);
  if (objects.empty() && !scalars) return MatchNode(node, nullptr);  // [] holds nothing
  for (const json* o : objects) {
    if (MatchNode(node, o)) return true;
  }
  return false;
}

// v is the object at this level, or nullptr where the record has nothing.
bool MatchNode(const Node& node, const json* v) {
  for (const auto& [key, matchers] : node.leaves) {
    if (!LeafMatches(matchers, Find(v, key))) return false;
  }
  for (const Child& child : node.children) {
    if (!ChildMatches(child.node, Find(v, child.key))) return false;
  }
  for (const std::vector<Node>& alternatives : node.ors) {
    bool any = false;
    for (const Node& alt : alternatives) {
      if (MatchNode(alt, v)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}

// Parsing. Each function returns false with *why set on the first problem.

std::optional<Op> ParseOp(const std::string& s) {
  if (s == "<") return Op::kLess;
  if (s == "<=") return Op::kLessEqual;
  if (s == "=") return Op::kEqual;
  if (s == ">=") return Op::kGreaterEqual;
  if (s == ">") return Op::kGreater;
  return std::nullopt;
}

std::string Text(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool ParseNumeric(const json& spec, Matcher* m, std::string* why) {
  if (!spec.is_array()) {
    *why = "Value of numeric must be an array.";
    return false;
  }
  if (spec.empty()) {
    *why = "Invalid member in numeric match: ]";
    return false;
  }
  size_t i = 0;
  for (int term = 0; i < spec.size(); ++term) {
    if (term == 2) {
      *why = "Too many terms in numeric range expression";
      return false;
    }
    const json& op_json = spec[i];
    if (!op_json.is_string()) {
      *why = (term == 0 ? "Invalid member in numeric match: " : "Bad value in numeric range: ") +
             Text(op_json);
      return false;
    }
    std::optional<Op> op = ParseOp(op_json.get<std::string>());
    if (!op) {
      *why =
          (term == 0 ? "Unrecognized numeric range operator: " : "Bad numeric range operator: ") +
          op_json.get<std::string>();
      return false;
    }
    if (term == 1 && *op != Op::kLess && *op != Op::kLessEqual) {
      *why = "Bad numeric range operator: " + op_json.get<std::string>();
      return false;
    }
    std::string name = *op == Op::kEqual ? "equals" : op_json.get<std::string>();
    if (i + 1 >= spec.size() || !spec[i + 1].is_number()) {
      *why = "Value of " + name + " must be numeric";
      return false;
    }
    double bound = spec[i + 1].get<double>();
    if (!(bound >= -kNumericLimit && bound <= kNumericLimit)) {
      *why = "Value of " + name + " must be between -5.0E9 and 5.0E9";
      return false;
    }
    if (term == 1 && bound <= m->range[0].second) {
      *why = "Bottom must be less than top";
      return false;
    }
    m->range.emplace_back(*op, bound);
    i += 2;
    if (term == 0 && i < spec.size() && *op != Op::kGreater && *op != Op::kGreaterEqual) {
      *why = "Too many elements in numeric expression";
      return false;
    }
  }
  return true;
}

bool ParseAnythingBut(const json& spec, Matcher* m, std::string* why) {
  auto simple = [](const json& j) { return j.is_string() || j.is_number(); };
  if (spec.is_object()) {
    *why = "anything-but with prefix, suffix or equals-ignore-case is not supported by Lambda";
    return false;
  }
  if (spec.is_array()) {
    if (spec.empty()) {
      *why = "Empty arrays are not allowed";
      return false;
    }
    for (const json& x : spec) {
      if (!simple(x)) {
        *why = "Inside anything but list, start|null|boolean is not supported.";
        return false;
      }
      m->values.push_back(x);
    }
    return true;
  }
  if (!simple(spec)) {
    *why = "Value of anything-but must be an array or single string/number value.";
    return false;
  }
  m->values.push_back(spec);
  return true;
}

bool ParseMatcher(const json& rule, Matcher* m, std::string* why) {
  if (rule.is_string() || rule.is_number() || rule.is_boolean() || rule.is_null()) {
    m->kind = Matcher::Kind::kEquals;
    m->value = rule;
    return true;
  }
  if (!rule.is_object()) {
    *why = "Match value must be String, number, true, false, or null";
    return false;
  }
  if (rule.size() != 1) {
    *why = "Only one key allowed in match expression";
    return false;
  }
  const std::string& op = rule.begin().key();
  const json& spec = rule.begin().value();
  if (op == "prefix" || op == "suffix" || op == "equals-ignore-case") {
    if (spec.is_object() && op != "equals-ignore-case") {
      *why = op + " with equals-ignore-case is not supported by Lambda";
      return false;
    }
    if (!spec.is_string()) {
      *why = op + " match pattern must be a string";
      return false;
    }
    m->kind = op == "prefix"   ? Matcher::Kind::kPrefix
              : op == "suffix" ? Matcher::Kind::kSuffix
                               : Matcher::Kind::kEqualsIgnoreCase;
    m->text = m->kind == Matcher::Kind::kEqualsIgnoreCase ? AsciiLower(spec.get<std::string>())
                                                          : spec.get<std::string>();
    return true;
  }
  if (op == "anything-but") {
    m->kind = Matcher::Kind::kAnythingBut;
    return ParseAnythingBut(spec, m, why);
  }
  if (op == "exists") {
    if (!spec.is_boolean()) {
      *why = "exists match pattern must be either true or false.";
      return false;
    }
    m->kind = Matcher::Kind::kExists;
    m->exists = spec.get<bool>();
    return true;
  }
  if (op == "numeric") {
    m->kind = Matcher::Kind::kNumeric;
    return ParseNumeric(spec, m, why);
  }
  if (op == "wildcard" || op == "cidr") {
    *why = op + " is not supported by Lambda event filtering";
    return false;
  }
  *why = "Unrecognized match type " + op;
  return false;
}

bool ParseNode(const json& object, int depth, Node* node, std::string* why) {
  if (depth > kMaxDepth) {
    *why = "Pattern nests deeper than " + std::to_string(kMaxDepth) + " levels";
    return false;
  }
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string& key = it.key();
    const json& value = it.value();
    if (key == "$or" && value.is_array()) {
      if (value.empty()) {
        *why = "Empty arrays are not allowed";
        return false;
      }
      std::vector<Node> alternatives;
      for (const json& alt : value) {
        if (!alt.is_object()) {
          *why = "$or alternatives must be objects";
          return false;
        }
        alternatives.emplace_back();
        if (!ParseNode(alt, depth + 1, &alternatives.back(), why)) return false;
      }
      node->ors.push_back(std::move(alternatives));
    } else if (value.is_object()) {
      node->children.push_back(Child{key, {}});
      if (!ParseNode(value, depth + 1, &node->children.back().node, why)) return false;
    } else if (value.is_array()) {
      if (value.empty()) {
        *why = "Empty arrays are not allowed";
        return false;
      }
      std::vector<Matcher> matchers;
      for (const json& rule : value) {
        matchers.emplace_back();
        if (!ParseMatcher(rule, &matchers.back(), why)) return false;
      }
      node->leaves.emplace_back(key, std::move(matchers));
    } else {
      *why = "\"" + key + "\" must be an object or an array";
      return false;
    }
  }
  return true;
}

Status Invalid(std::string why, std::string* reason) {
  if (reason != nullptr) *reason = std::move(why);
  return Status::InvalidArgument(std::string(kInvalidPattern));
}

}  // namespace

StatusOr<Pattern> Pattern::Parse(std::string_view text, std::string* reason) {
  if (text.size() > kMaxPatternLength) {
    return Invalid("Pattern is longer than " + std::to_string(kMaxPatternLength) + " characters",
                   reason);
  }
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return Invalid("Filter is not valid JSON", reason);
  if (!j.is_object()) return Invalid("Filter is not an object", reason);
  auto root = std::make_shared<Node>();
  std::string why;
  if (!ParseNode(j, 1, root.get(), &why)) return Invalid(std::move(why), reason);
  return Pattern(std::move(root));
}

bool Pattern::Matches(const json& record) const {
  return record.is_object() && MatchNode(*root_, &record);
}

StatusOr<Criteria> Criteria::Parse(const json& filter_criteria, size_t max_filters,
                                   std::string* reason) {
  Criteria criteria;
  if (filter_criteria.is_null()) return criteria;
  if (!filter_criteria.is_object()) return Invalid("FilterCriteria is not an object", reason);
  auto filters = filter_criteria.find("Filters");
  if (filters == filter_criteria.end() || filters->is_null()) return criteria;
  if (!filters->is_array()) return Invalid("Filters is not a list", reason);
  if (filters->size() > max_filters) {
    return Invalid("more than " + std::to_string(max_filters) + " filters", reason);
  }
  for (const json& filter : *filters) {
    auto pattern = filter.is_object() ? filter.find("Pattern") : filter.end();
    if (!filter.is_object() || pattern == filter.end() || !pattern->is_string()) {
      return Invalid("a filter has no Pattern string", reason);
    }
    StatusOr<Pattern> parsed = Pattern::Parse(pattern->get_ref<const std::string&>(), reason);
    if (!parsed.ok()) return parsed.status();
    criteria.patterns_.push_back(std::move(parsed).value());
  }
  return criteria;
}

bool Criteria::Matches(const json& record) const {
  if (patterns_.empty()) return true;
  for (const Pattern& p : patterns_) {
    if (p.Matches(record)) return true;
  }
  return false;
}

json SqsRecordView(json record) {
  auto body = record.find("body");
  if (body != record.end() && body->is_string()) {
    json parsed = json::parse(body->get_ref<const std::string&>(), nullptr, false);
    if (!parsed.is_discarded()) *body = std::move(parsed);
  }
  return record;
}

json KinesisRecordView(const json& record) {
  json view = json::object();
  if (!record.is_object()) return view;
  for (auto it = record.begin(); it != record.end(); ++it) {
    if (it.key() != "kinesis") view[it.key()] = it.value();
  }
  auto kinesis = record.find("kinesis");
  if (kinesis == record.end() || !kinesis->is_object()) return view;
  for (auto it = kinesis->begin(); it != kinesis->end(); ++it) view[it.key()] = it.value();
  auto data = view.find("data");
  if (data == view.end() || !data->is_string()) return view;
  std::optional<std::string> decoded = Base64Decode(data->get_ref<const std::string&>());
  if (!decoded) return view;
  json parsed = json::parse(*decoded, nullptr, false);
  if (!parsed.is_discarded()) *data = std::move(parsed);
  return view;
}

}  // namespace thaw::filter
