#include "gpuprobe/report/json_fast.hpp"

#include <charconv>
#include <cstdint>
#include <string>

namespace gpuprobe {
namespace {

using nlohmann::json;

class FastParser {
 public:
  FastParser(std::string_view text, int max_depth)
      : p_(text.data()), end_(text.data() + text.size()), depth_left_(max_depth) {}

  bool document(json& out) {
    skip_ws();
    if (!value(out)) return false;
    skip_ws();
    return p_ == end_;
  }

 private:
  const char* p_;
  const char* end_;
  int depth_left_;  // arrays and objects that may still open inside the current one

  void skip_ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }

  bool value(json& out) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '{':
      case '[': {
        if (depth_left_ == 0) return false;  // deeper than allowed: nlohmann's side names it
        --depth_left_;
        const bool ok = *p_ == '{' ? object(out) : array(out);
        ++depth_left_;
        return ok;
      }
      case '"': {
        std::string s;
        if (!string(s)) return false;
        out = std::move(s);
        return true;
      }
      case 't': out = true; return literal("true");
      case 'f': out = false; return literal("false");
      case 'n': out = nullptr; return literal("null");
      default: return number(out);
    }
  }

  bool object(json& out) {
    out = json::object();
    auto& map = out.get_ref<json::object_t&>();
    if (empty_after_open('}')) return true;
    for (;;) {
      skip_ws();
      if (p_ == end_ || *p_ != '"') return false;
      std::string key;
      if (!string(key)) return false;
      skip_ws();
      if (p_ == end_ || *p_ != ':') return false;
      ++p_;
      skip_ws();
      json v;
      if (!value(v)) return false;
      map.insert_or_assign(std::move(key), std::move(v));  // the last of duplicate keys, as nlohmann
      const After a = after_element('}');
      if (a != After::more) return a == After::closed;
    }
  }

  bool array(json& out) {
    out = json::array();
    auto& vec = out.get_ref<json::array_t&>();
    if (empty_after_open(']')) return true;
    for (;;) {
      skip_ws();
      vec.emplace_back();
      if (!value(vec.back())) return false;
      const After a = after_element(']');
      if (a != After::more) return a == After::closed;
    }
  }

  // Steps over the opening bracket; true (and over the closing one) when nothing is inside.
  bool empty_after_open(char close) {
    ++p_;
    skip_ws();
    if (p_ == end_ || *p_ != close) return false;
    ++p_;
    return true;
  }

  enum class After { more, closed, bad };
  // What follows an element of an object or array: a comma, the closing bracket, or an error.
  After after_element(char close) {
    skip_ws();
    if (p_ == end_) return After::bad;
    const char c = *p_++;
    if (c == ',') return After::more;
    return c == close ? After::closed : After::bad;
  }

  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool hex4(unsigned& cp) {
    if (end_ - p_ < 4) return false;
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = hex(p_[i]);
      if (h < 0) return false;
      cp = cp * 16 + static_cast<unsigned>(h);
    }
    p_ += 4;
    return true;
  }

  static void put_utf8(std::string& s, unsigned cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // The continuation bytes of a UTF-8 sequence whose lead byte is `lead`, with the ranges RFC 3629
  // allows (no overlong forms, no surrogates, nothing past U+10FFFF): nlohmann's lexer checks the same.
  bool utf8_tail(unsigned char lead) {
    unsigned char lo = 0x80, hi = 0xBF;
    int more;
    if (lead >= 0xC2 && lead <= 0xDF) more = 1;
    else if (lead == 0xE0) more = 2, lo = 0xA0;
    else if (lead == 0xED) more = 2, hi = 0x9F;
    else if (lead >= 0xE1 && lead <= 0xEF) more = 2;
    else if (lead == 0xF0) more = 3, lo = 0x90;
    else if (lead == 0xF4) more = 3, hi = 0x8F;
    else if (lead >= 0xF1 && lead <= 0xF3) more = 3;
    else return false;
    for (int i = 0; i < more; ++i, lo = 0x80, hi = 0xBF) {
      if (p_ == end_) return false;
      const auto c = static_cast<unsigned char>(*p_);
      if (c < lo || c > hi) return false;
      ++p_;
    }
    return true;
  }

  bool string(std::string& s) {
    ++p_;  // '"'
    for (;;) {
      const char* run = p_;  // a run of plain characters is copied at once
      while (p_ < end_) {
        const auto c = static_cast<unsigned char>(*p_);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++p_;
      }
      s.append(run, static_cast<std::size_t>(p_ - run));
      if (p_ == end_) return false;
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return false;  // a raw control character
      if (c >= 0x80) {
        const char* start = p_++;
        if (!utf8_tail(c)) return false;
        s.append(start, static_cast<std::size_t>(p_ - start));
        continue;
      }
      ++p_;  // '\\'
      if (p_ == end_) return false;
      const char e = *p_++;
      // The one-character escapes and what they stand for.
      static constexpr std::string_view kEscaped = "\"\\/bfnrt", kMeaning = "\"\\/\b\f\n\r\t";
      if (const auto k = kEscaped.find(e); k != std::string_view::npos) {
        s += kMeaning[k];
        continue;
      }
      if (e != 'u') return false;
      unsigned cp;
      if (!hex4(cp)) return false;
      if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a lone low surrogate
      if (cp >= 0xD800 && cp <= 0xDBFF) {              // a high one: its low surrogate must follow
        unsigned low;
        if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
        p_ += 2;
        if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      }
      put_utf8(s, cp);
    }
  }

  // JSON's number grammar exactly; integers as nlohmann types them, anything out of range given up.
  bool number(json& out) {
    const char* start = p_;
    const bool negative = p_ < end_ && *p_ == '-';
    if (negative) ++p_;
    auto digit = [this] { return p_ < end_ && *p_ >= '0' && *p_ <= '9'; };
    if (!digit()) return false;
    if (*p_ == '0') ++p_;
    else
      while (digit()) ++p_;
    bool integer = true;
    if (p_ < end_ && *p_ == '.') {
      integer = false;
      ++p_;
      if (!digit()) return false;
      while (digit()) ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      integer = false;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!digit()) return false;
      while (digit()) ++p_;
    }
    if (integer) {
      if (negative) {
        std::int64_t v = 0;
        const auto r = std::from_chars(start, p_, v);
        if (r.ec != std::errc() || r.ptr != p_) return false;
        out = v;
      } else {
        std::uint64_t v = 0;
        const auto r = std::from_chars(start, p_, v);
        if (r.ec != std::errc() || r.ptr != p_) return false;
        out = v;
      }
      return true;
    }
    double d = 0;
    const auto r = std::from_chars(start, p_, d);  // correctly rounded, as strtod
    if (r.ec != std::errc() || r.ptr != p_) return false;
    out = d;
    return true;
  }
};

}  // namespace

bool parse_json_fast(std::string_view text, nlohmann::json& out, int max_depth) {
  FastParser p(text, max_depth);
  json doc;
  if (!p.document(doc)) return false;
  out = std::move(doc);
  return true;
}

}  // namespace gpuprobe
