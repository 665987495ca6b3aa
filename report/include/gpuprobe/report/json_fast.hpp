// A fast reader of JSON text into nlohmann::json for the well-formed input that reports are.
// It builds the same document nlohmann::json::parse builds (the same value types: an unsigned
// integer for a non-negative integer, a signed one for a negative, a double for a number with a
// fraction or exponent; the last of duplicate keys), and gives up, returning false, on anything
// it does not take: a syntax error, a number out of range, an escape or byte sequence it does not
// decode. The caller then parses the text with nlohmann::json::parse, which either builds the
// document or names the error, so results and messages are nlohmann's in every case.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace gpuprobe {

// Parses `text` (one JSON value, whitespace around it) into `out`; gives up on arrays and objects
// nested deeper than max_depth (json_depth_problem's limit: 1 is a flat array or object), so its
// recursion is bounded whatever the input.
bool parse_json_fast(std::string_view text, nlohmann::json& out, int max_depth);

}  // namespace gpuprobe
