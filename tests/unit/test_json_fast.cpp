// The fast JSON reader (gpuprobe/report/json_fast.hpp) against nlohmann::json::parse: whatever it
// takes, it must build the document nlohmann builds, value types included; what it gives up on is
// left to nlohmann. It must take the committed reports (the common case it is there for).
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "fixture_reports.hpp"
#include "gpuprobe/report/json_fast.hpp"
#include "gpuprobe/report/load.hpp"

namespace gpuprobe {
namespace {

using nlohmann::json;

// Same value and same type at every level: 1 (unsigned) and -1 (signed) and 1.0 (double) differ.
bool identical(const json& a, const json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      const auto other = b.find(it.key());
      if (other == b.end() || !identical(*it, *other)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!identical(a[i], b[i])) return false;
    return true;
  }
  return a.dump() == b.dump();  // a double's dump round-trips it, -0.0 included
}

// The fast reader's verdict on `text`: it gives up, or it builds nlohmann's document.
::testing::AssertionResult agrees(const std::string& text) {
  json fast;
  if (!parse_json_fast(text, fast, 64)) return ::testing::AssertionSuccess();
  json slow;
  try {
    slow = json::parse(text);
  } catch (const json::exception& e) {
    return ::testing::AssertionFailure() << "fast reader took what nlohmann rejects (" << e.what() << "): " << text;
  }
  if (!identical(fast, slow))
    return ::testing::AssertionFailure() << "documents differ: " << fast.dump() << " vs " << slow.dump();
  return ::testing::AssertionSuccess();
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(JsonFast, TakesEveryCommittedReportAndBuildsNlohmannsDocument) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(testing::data_dir() / "reports")) {
    if (e.path().extension() != ".json") continue;
    const std::string text = read_text(e.path());
    json fast;
    ASSERT_TRUE(parse_json_fast(text, fast, 64)) << e.path();
    EXPECT_TRUE(identical(fast, json::parse(text))) << e.path();
    ++n;
  }
  EXPECT_GE(n, 5u);
}

TEST(JsonFast, ValueTypesAndEdgesAsNlohmann) {
  for (const char* t : {"0", "-0", "1", "-1", "18446744073709551615", "-9223372036854775808", "1.0", "-0.0", "1e3",
                        "1E+3", "2.5e-3", "0.1", "123456789012345678901234567890", "-9223372036854775809",
                        "1e400", "1e-400", "01", "1.", ".5", "-", "+1", "1e", "[]", "{}", "[1,2,[3,{}]]",
                        " {\"a\" : 1 , \"a\" : 2} ", "{\"a\":1,}", "[1,]", "[1 2]", "{\"a\" 1}", "{1:2}",
                        "\"\\u00e9\\u20ac\\ud83d\\ude00\"", "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83dx\"",
                        "\"\\u0000\"", "\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"", "\"\\x\"", "\"a\tb\"", "\"\x7f\"",
                        "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", "\"\xc0\xaf\"", "\"\xe0\x80\xaf\"",
                        "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xc3\"", "\"\xff\"", "true", "false",
                        "null", "tru", "nul", "true false", "", "   ", "\"abc", "[", "{\"a\":"}) {
    EXPECT_TRUE(agrees(t)) << t;
  }
  json j;
  ASSERT_TRUE(parse_json_fast("[18446744073709551615, -1, 1, 1.5]", j, 64));
  EXPECT_TRUE(j[0].is_number_unsigned());
  EXPECT_TRUE(j[1].is_number_integer() && !j[1].is_number_unsigned());
  EXPECT_TRUE(j[2].is_number_unsigned());
  EXPECT_TRUE(j[3].is_number_float());
  EXPECT_FALSE(parse_json_fast("[1,]", j, 64));
  EXPECT_FALSE(parse_json_fast("{\"a\":1} x", j, 64));
}

TEST(JsonFast, GivesUpPastTheDepthLimitAsTheDepthGuardWould) {
  json j;
  for (int depth : {1, 2, 10, 64, 65, 100}) {
    const std::string arrays = std::string(static_cast<std::size_t>(depth), '[') + std::string(static_cast<std::size_t>(depth), ']');
    const std::string objects = [&] {
      std::string t;
      for (int i = 0; i < depth; ++i) t += "{\"a\":";
      return t + "1" + std::string(static_cast<std::size_t>(depth), '}');
    }();
    for (const auto& t : {arrays, objects}) {
      const bool within = json_depth_problem(t, 64).empty();
      EXPECT_EQ(parse_json_fast(t, j, 64), within) << "depth " << depth;
      EXPECT_TRUE(agrees(t));
    }
  }
}

// Every single-byte change and every truncation of a report line: the fast reader either gives up
// or builds exactly nlohmann's document.
TEST(JsonFast, MutatedReportsAgree) {
  const std::string text = json::parse(read_text(testing::data_dir() / "reports" / "g5.json")).dump();
  std::mt19937 rng(7);
  const std::string alphabet = "{}[]\":,.-+eE0123456789 \\/tnfu\x7f\xc3\xa9\xff\x01";
  for (int i = 0; i < 3000; ++i) {
    std::string m = text;
    const std::size_t at = rng() % m.size();
    switch (rng() % 3) {
      case 0: m[at] = alphabet[rng() % alphabet.size()]; break;
      case 1: m.erase(at, 1); break;
      case 2: m.resize(at); break;
    }
    ASSERT_TRUE(agrees(m)) << "mutation " << i;
  }
}

}  // namespace
}  // namespace gpuprobe
