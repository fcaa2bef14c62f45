#include "profile/table.h"

#include <algorithm>

namespace thaw::profile {

namespace {

template <typename LeftFn>
std::string Format(const TableRows& rows, LeftFn left) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      std::string pad(widths[i] - row[i].size(), ' ');
      if (i > 0) line += "  ";
      line += left(i) ? row[i] + pad : pad + row[i];
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace

std::string FormatColumns(const TableRows& rows, std::initializer_list<size_t> left_aligned) {
  return Format(rows, [left_aligned](size_t i) {
    return std::find(left_aligned.begin(), left_aligned.end(), i) != left_aligned.end();
  });
}

std::string FormatLeftAligned(const TableRows& rows) {
  return Format(rows, [](size_t) { return true; });
}

}  // namespace thaw::profile
