#include "sam/intrinsics.h"

#include <optional>
#include <utility>

#include "base/codec.h"

namespace thaw::sam {

namespace {

using nlohmann::json;
// nullopt stands for AWS::NoValue while evaluating.
using Value = std::optional<json>;

const std::string* IntrinsicName(const json& value) {
  if (!value.is_object() || value.size() != 1) return nullptr;
  const std::string& key = value.begin().key();
  if (key == "Ref" || key.rfind("Fn::", 0) == 0) return &key;
  return nullptr;
}

Status Bad(const std::string& fn, const std::string& why) {
  return Status::InvalidArgument(fn + " " + why);
}

// A scalar as Fn::Sub and Fn::Join write it.
StatusOr<std::string> AsText(const std::string& fn, const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return std::string(v.get<bool>() ? "true" : "false");
  if (v.is_number()) return v.dump();
  return Bad(fn, "needs a string, got " + v.dump());
}

StatusOr<Value> Eval(const json& value, const Scope& scope);

StatusOr<json> EvalRequired(const std::string& fn, const json& value, const Scope& scope) {
  THAW_ASSIGN_OR_RETURN(Value v, Eval(value, scope));
  if (!v) return Bad(fn, "cannot take AWS::NoValue");
  return std::move(*v);
}

StatusOr<json> Ref(const std::string& name, const Scope& scope) {
  auto it = scope.refs.find(name);
  if (it != scope.refs.end()) return it->second;
  if (!scope.resource) return Status::NotFound("Ref to unknown name '" + name + "'");
  return scope.resource(name, "");
}

StatusOr<json> GetAtt(const std::string& id, const std::string& attr, const Scope& scope) {
  if (!scope.resource) {
    return Status::NotFound("Fn::GetAtt of unknown resource '" + id + "'");
  }
  return scope.resource(id, attr);
}

// Fn::Sub's ${...} expansion; `vars` are the second form's variables (evaluated).
StatusOr<std::string> Substitute(const std::string& text, const json& vars, const Scope& scope) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find("${", i);
    if (open == std::string::npos) {
      out += text.substr(i);
      break;
    }
    out += text.substr(i, open - i);
    size_t close = text.find('}', open);
    if (close == std::string::npos) return Bad("Fn::Sub", "has an unclosed ${ in '" + text + "'");
    std::string name = text.substr(open + 2, close - open - 2);
    i = close + 1;
    if (!name.empty() && name[0] == '!') {  // ${!Literal} writes ${Literal}
      out += "${" + name.substr(1) + "}";
      continue;
    }
    json v;
    if (vars.contains(name)) {
      v = vars[name];
    } else if (size_t dot = name.find('.'); dot != std::string::npos) {
      THAW_ASSIGN_OR_RETURN(v, GetAtt(name.substr(0, dot), name.substr(dot + 1), scope));
    } else {
      THAW_ASSIGN_OR_RETURN(v, Ref(name, scope));
    }
    if (v.is_array()) {  // a list parameter reads as its comma-joined text
      std::string joined;
      for (const json& item : v) {
        THAW_ASSIGN_OR_RETURN(std::string s, AsText("Fn::Sub", item));
        joined += (joined.empty() ? "" : ",") + s;
      }
      out += joined;
      continue;
    }
    THAW_ASSIGN_OR_RETURN(std::string s, AsText("Fn::Sub", v));
    out += s;
  }
  return out;
}

StatusOr<json> EvalList(const std::string& fn, const json& arg, const Scope& scope) {
  THAW_ASSIGN_OR_RETURN(json v, EvalRequired(fn, arg, scope));
  if (!v.is_array()) return Bad(fn, "needs a list, got " + v.dump());
  return v;
}

// Every function but Fn::If and Ref to AWS::NoValue (Eval's, as they may give no value).
StatusOr<json> Apply(const std::string& fn, const json& arg, const Scope& scope) {
  if (fn == "Ref") {
    if (!arg.is_string()) return Bad("Ref", "needs a name");
    return Ref(arg.get<std::string>(), scope);
  }
  if (fn == "Fn::GetAtt") {
    json a = arg;
    if (a.is_string()) {
      std::string s = a.get<std::string>();
      size_t dot = s.find('.');
      if (dot == std::string::npos) return Bad(fn, "needs Resource.Attribute");
      a = json::array({s.substr(0, dot), s.substr(dot + 1)});
    }
    if (!a.is_array() || a.size() != 2 || !a[0].is_string()) {
      return Bad(fn, "needs [Resource, Attribute]");
    }
    THAW_ASSIGN_OR_RETURN(json attr, EvalRequired(fn, a[1], scope));
    if (!attr.is_string()) return Bad(fn, "needs an attribute name");
    return GetAtt(a[0].get<std::string>(), attr.get<std::string>(), scope);
  }
  if (fn == "Fn::Sub") {
    if (arg.is_string()) {
      THAW_ASSIGN_OR_RETURN(std::string text,
                            Substitute(arg.get<std::string>(), json::object(), scope));
      return json(std::move(text));
    }
    if (!arg.is_array() || arg.size() != 2 || !arg[0].is_string() || !arg[1].is_object()) {
      return Bad(fn, "needs a string or [string, {variables}]");
    }
    json vars = json::object();
    for (const auto& [name, body] : arg[1].items()) {
      THAW_ASSIGN_OR_RETURN(vars[name], EvalRequired(fn, body, scope));
    }
    THAW_ASSIGN_OR_RETURN(std::string text, Substitute(arg[0].get<std::string>(), vars, scope));
    return json(std::move(text));
  }
  if (fn == "Fn::Join") {
    if (!arg.is_array() || arg.size() != 2 || !arg[0].is_string()) {
      return Bad(fn, "needs [delimiter, [values]]");
    }
    THAW_ASSIGN_OR_RETURN(json items, EvalList(fn, arg[1], scope));
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
      THAW_ASSIGN_OR_RETURN(std::string s, AsText(fn, items[i]));
      out += (i == 0 ? "" : arg[0].get<std::string>()) + s;
    }
    return json(out);
  }
  if (fn == "Fn::Select") {
    if (!arg.is_array() || arg.size() != 2) return Bad(fn, "needs [index, [values]]");
    THAW_ASSIGN_OR_RETURN(json index, EvalRequired(fn, arg[0], scope));
    THAW_ASSIGN_OR_RETURN(json items, EvalList(fn, arg[1], scope));
    int64_t i = -1;
    if (index.is_number_integer()) {
      i = index.get<int64_t>();
    } else if (index.is_string()) {
      json n = json::parse(index.get<std::string>(), nullptr, false);
      if (n.is_number_integer()) i = n.get<int64_t>();
    }
    if (i < 0 || i >= static_cast<int64_t>(items.size())) {
      return Bad(fn,
                 "index " + index.dump() + " is outside a list of " + std::to_string(items.size()));
    }
    return items[static_cast<size_t>(i)];
  }
  if (fn == "Fn::Split") {
    if (!arg.is_array() || arg.size() != 2 || !arg[0].is_string() || arg[0] == "") {
      return Bad(fn, "needs [delimiter, string]");
    }
    THAW_ASSIGN_OR_RETURN(json source, EvalRequired(fn, arg[1], scope));
    THAW_ASSIGN_OR_RETURN(std::string s, AsText(fn, source));
    std::string delim = arg[0].get<std::string>();
    json out = json::array();
    size_t start = 0;
    for (size_t at; (at = s.find(delim, start)) != std::string::npos; start = at + delim.size()) {
      out.push_back(s.substr(start, at - start));
    }
    out.push_back(s.substr(start));
    return out;
  }
  if (fn == "Fn::Equals" || fn == "Fn::Not" || fn == "Fn::And" || fn == "Fn::Or") {
    THAW_ASSIGN_OR_RETURN(bool b, EvaluateCondition(json::object({{fn, arg}}), scope));
    return json(b);
  }
  if (fn == "Fn::GetAZs") {
    THAW_ASSIGN_OR_RETURN(json region, EvalRequired(fn, arg, scope));
    std::string r = region.is_string() && region != "" ? region.get<std::string>() : scope.region;
    return json::array({r + "a", r + "b", r + "c"});
  }
  if (fn == "Fn::Base64") {
    THAW_ASSIGN_OR_RETURN(json v, EvalRequired(fn, arg, scope));
    THAW_ASSIGN_OR_RETURN(std::string s, AsText(fn, v));
    return json(Base64Encode(s));
  }
  if (fn == "Fn::FindInMap") {
    if (!arg.is_array() || arg.size() < 3) return Bad(fn, "needs [map, key, key]");
    json keys = json::array();
    for (size_t i = 0; i < 3; ++i) {
      THAW_ASSIGN_OR_RETURN(json k, EvalRequired(fn, arg[i], scope));
      THAW_ASSIGN_OR_RETURN(std::string s, AsText(fn, k));
      keys.push_back(s);
    }
    const json* at = &scope.mappings;
    for (const json& k : keys) {
      if (!at->is_object() || !at->contains(k.get<std::string>())) {
        return Bad(fn, "finds no entry " + keys.dump());
      }
      at = &(*at)[k.get<std::string>()];
    }
    return *at;
  }
  return Status::InvalidArgument(fn + " is not supported by thaw");
}

StatusOr<Value> Eval(const json& value, const Scope& scope) {
  if (const std::string* fn = IntrinsicName(value)) {
    const json& arg = value.begin().value();
    if (*fn == "Ref" && arg == kNoValue) return Value();
    if (*fn == "Fn::If") {
      if (!arg.is_array() || arg.size() != 3 || !arg[0].is_string()) {
        return Bad(*fn, "needs [condition, value if true, value if false]");
      }
      auto it = scope.conditions.find(arg[0].get<std::string>());
      if (it == scope.conditions.end()) {
        return Bad(*fn,
                   "names condition '" + arg[0].get<std::string>() + "', which is not defined");
      }
      return Eval(arg[it->second ? 1 : 2], scope);
    }
    THAW_ASSIGN_OR_RETURN(json v, Apply(*fn, arg, scope));
    return Value(std::move(v));
  }
  if (value.is_object()) {
    json out = json::object();
    for (const auto& [key, item] : value.items()) {
      THAW_ASSIGN_OR_RETURN(Value v, Eval(item, scope));
      if (v) out[key] = std::move(*v);
    }
    return Value(std::move(out));
  }
  if (value.is_array()) {
    json out = json::array();
    for (const json& item : value) {
      THAW_ASSIGN_OR_RETURN(Value v, Eval(item, scope));
      if (v) out.push_back(std::move(*v));
    }
    return Value(std::move(out));
  }
  return Value(value);
}

void SubReferences(const std::string& text, const json& vars,
                   const std::function<bool(const std::string&)>& is_resource,
                   std::set<std::string>& out) {
  for (size_t open = text.find("${"); open != std::string::npos; open = text.find("${", open)) {
    size_t close = text.find('}', open);
    if (close == std::string::npos) return;
    std::string name = text.substr(open + 2, close - open - 2);
    open = close;
    if (name.empty() || name[0] == '!' || (vars.is_object() && vars.contains(name))) continue;
    name = name.substr(0, name.find('.'));
    if (is_resource(name)) out.insert(name);
  }
}

}  // namespace

StatusOr<json> Evaluate(const json& value, const Scope& scope) {
  THAW_ASSIGN_OR_RETURN(Value v, Eval(value, scope));
  return v ? std::move(*v) : json(nullptr);
}

StatusOr<bool> EvaluateCondition(const json& body, const Scope& scope) {
  if (body.is_boolean()) return body.get<bool>();
  if (!body.is_object() || body.size() != 1) {
    return Status::InvalidArgument(
        "a condition must be one of Fn::Equals, Fn::Not, Fn::And, "
        "Fn::Or or Condition, got " +
        body.dump());
  }
  const std::string& fn = body.begin().key();
  const json& arg = body.begin().value();
  if (fn == "Condition") {
    if (!arg.is_string()) return Bad(fn, "needs a name");
    auto it = scope.conditions.find(arg.get<std::string>());
    if (it == scope.conditions.end()) {
      return Status::NotFound("condition '" + arg.get<std::string>() + "' is not defined");
    }
    return it->second;
  }
  if (fn == "Fn::Equals") {
    if (!arg.is_array() || arg.size() != 2) return Bad(fn, "needs [value, value]");
    THAW_ASSIGN_OR_RETURN(json a, EvalRequired(fn, arg[0], scope));
    THAW_ASSIGN_OR_RETURN(json b, EvalRequired(fn, arg[1], scope));
    // CloudFormation compares the written values: "1" equals 1, "true" equals true.
    StatusOr<std::string> as = AsText(fn, a);
    StatusOr<std::string> bs = AsText(fn, b);
    if (as.ok() && bs.ok()) return *as == *bs;
    return a == b;
  }
  if (fn == "Fn::Not") {
    if (!arg.is_array() || arg.size() != 1) return Bad(fn, "needs [condition]");
    THAW_ASSIGN_OR_RETURN(bool b, EvaluateCondition(arg[0], scope));
    return !b;
  }
  if (fn == "Fn::And" || fn == "Fn::Or") {
    if (!arg.is_array() || arg.size() < 2 || arg.size() > 10) {
      return Bad(fn, "needs 2 to 10 conditions");
    }
    bool is_and = fn == "Fn::And";
    bool result = is_and;
    for (const json& c : arg) {
      THAW_ASSIGN_OR_RETURN(bool b, EvaluateCondition(c, scope));
      result = is_and ? (result && b) : (result || b);
    }
    return result;
  }
  if (fn == "Fn::If" || fn == "Ref" || fn == "Fn::FindInMap") {
    // Conditions built from values that are themselves booleans ("true"/"false").
    THAW_ASSIGN_OR_RETURN(json v, EvalRequired(fn, body, scope));
    if (v.is_boolean()) return v.get<bool>();
    if (v == "true" || v == "false") return v == "true";
    return Bad(fn, "in a condition must give true or false, got " + v.dump());
  }
  return Bad(fn, "cannot be a condition");
}

void CollectReferences(const json& value,
                       const std::function<bool(const std::string&)>& is_resource,
                       std::set<std::string>& out) {
  if (const std::string* fn = IntrinsicName(value)) {
    const json& arg = value.begin().value();
    if (*fn == "Ref" && arg.is_string()) {
      if (is_resource(arg.get<std::string>())) out.insert(arg.get<std::string>());
      return;
    }
    if (*fn == "Fn::GetAtt") {
      std::string id;
      if (arg.is_string()) id = arg.get<std::string>().substr(0, arg.get<std::string>().find('.'));
      if (arg.is_array() && !arg.empty() && arg[0].is_string()) id = arg[0].get<std::string>();
      if (is_resource(id)) out.insert(id);
      if (arg.is_array() && arg.size() == 2) CollectReferences(arg[1], is_resource, out);
      return;
    }
    if (*fn == "Fn::Sub") {
      if (arg.is_string()) SubReferences(arg.get<std::string>(), nullptr, is_resource, out);
      if (arg.is_array() && arg.size() == 2 && arg[0].is_string()) {
        SubReferences(arg[0].get<std::string>(), arg[1], is_resource, out);
        CollectReferences(arg[1], is_resource, out);
      }
      return;
    }
  }
  if (value.is_object() || value.is_array()) {
    for (const json& item : value) CollectReferences(item, is_resource, out);
  }
}

}  // namespace thaw::sam
