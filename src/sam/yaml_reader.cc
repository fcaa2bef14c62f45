#include "sam/yaml_reader.h"

#include <charconv>
#include <cstdint>
#include <string>
#include <utility>

#include <yaml-cpp/yaml.h>

namespace thaw::sam {

namespace {

using nlohmann::json;

// Short-form tag -> long-form key. !Ref and !Condition are not Fn:: names.
const char* LongForm(const std::string& tag) {
  static const std::pair<const char*, const char*> kTags[] = {
      {"!Ref", "Ref"},
      {"!Condition", "Condition"},
      {"!GetAtt", "Fn::GetAtt"},
      {"!Sub", "Fn::Sub"},
      {"!Join", "Fn::Join"},
      {"!Select", "Fn::Select"},
      {"!Split", "Fn::Split"},
      {"!If", "Fn::If"},
      {"!Equals", "Fn::Equals"},
      {"!Not", "Fn::Not"},
      {"!And", "Fn::And"},
      {"!Or", "Fn::Or"},
      {"!GetAZs", "Fn::GetAZs"},
      {"!Base64", "Fn::Base64"},
      {"!FindInMap", "Fn::FindInMap"},
      {"!ImportValue", "Fn::ImportValue"},
      {"!Cidr", "Fn::Cidr"},
      {"!Transform", "Fn::Transform"},
  };
  for (const auto& [short_form, long_form] : kTags) {
    if (tag == short_form) return long_form;
  }
  return nullptr;
}

std::string Where(const YAML::Mark& mark) {
  return "line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1);
}

// A plain scalar's JSON type, as YAML 1.1 resolves it (the subset templates use).
json PlainScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  bool digits = i < s.size();
  bool dot = false;
  for (size_t j = i; j < s.size(); ++j) {
    if (s[j] == '.' && !dot) {
      dot = true;
    } else if (s[j] < '0' || s[j] > '9') {
      digits = false;
      break;
    }
  }
  if (digits && !dot && s.size() - i <= 18) {
    int64_t n = 0;
    std::from_chars(s.data() + i, s.data() + s.size(), n);
    return s[0] == '-' ? -n : n;
  }
  if (digits && dot && s.size() > i + 1) {
    json parsed = json::parse(s[i] == '.' ? "0" + s.substr(i) : s.substr(i), nullptr, false);
    if (!parsed.is_discarded()) return s[0] == '-' ? json(-parsed.get<double>()) : parsed;
  }
  return s;
}

StatusOr<json> Convert(const YAML::Node& node);

StatusOr<json> ConvertUntagged(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return json(nullptr);
    case YAML::NodeType::Scalar:
      // "?" is a plain scalar; "!" a quoted one, and "tag:yaml.org,2002:str" is !!str.
      if (node.Tag() == "?") return PlainScalar(node.Scalar());
      return json(node.Scalar());
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const YAML::Node& item : node) {
        THAW_ASSIGN_OR_RETURN(json value, Convert(item));
        out.push_back(std::move(value));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& entry : node) {
        if (!entry.first.IsScalar()) {
          return Status::InvalidArgument("a mapping key must be a scalar at " +
                                         Where(entry.first.Mark()));
        }
        THAW_ASSIGN_OR_RETURN(json value, Convert(entry.second));
        out[entry.first.Scalar()] = std::move(value);
      }
      return out;
    }
    case YAML::NodeType::Undefined:
      break;
  }
  return Status::InvalidArgument("undefined YAML node at " + Where(node.Mark()));
}

StatusOr<json> Convert(const YAML::Node& node) {
  const std::string& tag = node.Tag();
  if (tag.empty() || tag == "?" || tag == "!" || tag.rfind("tag:yaml.org,2002:", 0) == 0) {
    return ConvertUntagged(node);
  }
  const char* long_form = LongForm(tag);
  if (long_form == nullptr) {
    return Status::InvalidArgument("unknown tag " + tag + " at " + Where(node.Mark()));
  }
  // The tag's argument: a quoted or plain scalar is a string here (!Ref 123 names "123").
  json arg;
  if (node.IsScalar()) {
    arg = node.Scalar();
  } else {
    THAW_ASSIGN_OR_RETURN(arg, ConvertUntagged(node));
  }
  // !GetAtt Resource.Attribute is the short form of ["Resource", "Attribute"].
  if (tag == "!GetAtt" && arg.is_string()) {
    const std::string& s = arg.get_ref<const std::string&>();
    size_t dot = s.find('.');
    if (dot == std::string::npos) {
      return Status::InvalidArgument("!GetAtt " + s + " needs Resource.Attribute at " +
                                     Where(node.Mark()));
    }
    arg = json::array({s.substr(0, dot), s.substr(dot + 1)});
  }
  return json::object({{long_form, std::move(arg)}});
}

// The offset of the first byte of `s` that is not part of well-formed UTF-8 (no overlong forms,
// no surrogates, nothing above U+10FFFF); npos when there is none. nlohmann::json refuses
// anything else when it writes a string.
size_t FirstBadUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t more = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the range of the byte after the lead
    if (c >= 0xC2 && c <= 0xDF) {
      more = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      more = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      more = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return i;
    }
    if (s.size() - i <= more) return i;
    for (size_t k = 1; k <= more; ++k) {
      auto b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return i;
    }
    i += more + 1;
  }
  return std::string_view::npos;
}

// Every key and string of `j` is UTF-8 (a "\uD800" escape makes a surrogate).
Status CheckUtf8(const json& j) {
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (size_t bad = FirstBadUtf8(s); bad != std::string_view::npos) {
      return Status::InvalidArgument("template: a string is not valid UTF-8 at its byte " +
                                     std::to_string(bad));
    }
  } else if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      THAW_RETURN_IF_ERROR(CheckUtf8(json(key)));
      THAW_RETURN_IF_ERROR(CheckUtf8(value));
    }
  } else if (j.is_array()) {
    for (const json& value : j) THAW_RETURN_IF_ERROR(CheckUtf8(value));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<json> ReadTemplateText(std::string_view text) {
  if (size_t bad = FirstBadUtf8(text); bad != std::string_view::npos) {
    return Status::InvalidArgument("template is not valid UTF-8 at byte " + std::to_string(bad));
  }
  YAML::Node root;
  // yaml-cpp reports errors only by exception; they end here.
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("template is not valid YAML: " + e.msg + " at " + Where(e.mark));
  }
  StatusOr<json> out = [&]() -> StatusOr<json> {
    try {
      return Convert(root);
    } catch (const YAML::Exception& e) {
      return Status::InvalidArgument("template: " + e.msg + " at " + Where(e.mark));
    }
  }();
  if (!out.ok()) return out;
  if (!out->is_object()) return Status::InvalidArgument("template must be a mapping");
  THAW_RETURN_IF_ERROR(CheckUtf8(*out));
  return out;
}

}  // namespace thaw::sam
