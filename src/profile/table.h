// Text tables for the commands' reports: columns two spaces apart, each as wide as its widest
// cell, no trailing spaces; rows may be ragged. Pure functions: thread-safe.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <vector>

namespace thaw::profile {

using TableRows = std::vector<std::vector<std::string>>;

// The columns listed in `left_aligned` are padded on the right, the others on the left.
std::string FormatColumns(const TableRows& rows, std::initializer_list<size_t> left_aligned = {0});

// Every column left-aligned.
std::string FormatLeftAligned(const TableRows& rows);

}  // namespace thaw::profile
