// Parsing of `gpuprobe check` options: compute capability, memory sizes, --require, fractions.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "gpuprobe/probes/options.hpp"

namespace gpuprobe {
namespace {

constexpr std::uint64_t KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024, TiB = GiB * 1024;

TEST(ParseComputeCapability, Accepted) {
  struct Case { const char* in; int major, minor; };
  for (const auto& c : {Case{"8.0", 8, 0}, Case{"9", 9, 0}, Case{"8.6", 8, 6}, Case{"10.0", 10, 0},
                        Case{"7.5", 7, 5}, Case{"12.1", 12, 1}}) {
    SCOPED_TRACE(c.in);
    const ComputeCapability cc = parse_compute_capability(c.in);
    EXPECT_EQ(cc.major, c.major);
    EXPECT_EQ(cc.minor, c.minor);
    EXPECT_EQ(cc.as_int(), c.major * 10 + c.minor);
  }
}

TEST(ParseComputeCapability, Rejected) {
  for (const char* in : {"8.x", "", "8.10", "abc", "100.0", "0.5", "8.", ".5", "-8.0", "8.0.0", " 8.0", "8,0",
                         "sm_80"}) {
    SCOPED_TRACE(in);
    try {
      parse_compute_capability(in);
      ADD_FAILURE() << "accepted '" << in << "'";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("compute capability"), std::string::npos) << e.what();
    }
  }
}

TEST(ParseMemorySize, ExactByteValues) {
  struct Case { const char* in; std::uint64_t bytes; };
  for (const auto& c : {Case{"16G", 16 * GiB}, Case{"16GiB", 16 * GiB}, Case{"16gb", 16 * GiB},
                        Case{"80000MiB", 80000 * MiB}, Case{"1.5T", TiB + TiB / 2}, Case{"1024", 1024},
                        Case{"16 GB", 16 * GiB}, Case{"0", 0}, Case{"512k", 512 * KiB}, Case{"2KiB", 2 * KiB},
                        Case{"7b", 7}, Case{"3 m", 3 * MiB}, Case{"0.5G", GiB / 2}, Case{"1TiB", TiB}}) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(parse_memory_size(c.in), c.bytes);
  }
}

TEST(ParseMemorySize, Rejected) {
  for (const char* in : {"16X", "", "-1", "G", "16 GiBs", "abc", "1e3", "16P", "1.2.3G", "99999999999T"}) {
    SCOPED_TRACE(in);
    EXPECT_THROW(parse_memory_size(in), std::invalid_argument);
  }
}

TEST(ParseMemorySize, BadUnitMessageNamesUnits) {
  try {
    parse_memory_size("16X");
    FAIL();
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'x'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("GiB"), std::string::npos) << msg;
  }
}

TEST(ParseRequireList, CaseAndSpaceTolerant) {
  EXPECT_EQ(parse_require_list("cublas,cudnn"), (std::set<std::string>{"cublas", "cudnn"}));
  EXPECT_EQ(parse_require_list(" CuBLAS , cuDNN ,NVML"), (std::set<std::string>{"cublas", "cudnn", "nvml"}));
  EXPECT_EQ(parse_require_list("cublas,,cublas,"), (std::set<std::string>{"cublas"}));
  EXPECT_TRUE(parse_require_list("").empty());
}

TEST(ParseRequireList, UnknownRejectedListingKnown) {
  try {
    parse_require_list("cublas,cufft");
    FAIL() << "cufft accepted";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("cufft"), std::string::npos) << msg;
    for (const char* k : kRequirableLibraries) EXPECT_NE(msg.find(k), std::string::npos) << msg;
  }
}

TEST(ParseFraction, Accepted) {
  EXPECT_DOUBLE_EQ(parse_fraction("0.1"), 0.1);
  EXPECT_DOUBLE_EQ(parse_fraction("10%"), 0.1);
  EXPECT_DOUBLE_EQ(parse_fraction("0.9"), 0.9);
  EXPECT_DOUBLE_EQ(parse_fraction("90%"), 0.9);
  EXPECT_DOUBLE_EQ(parse_fraction(".25"), 0.25);
  EXPECT_DOUBLE_EQ(parse_fraction("0.5%"), 0.005);
}

TEST(ParseFraction, Rejected) {
  for (const char* in : {"0", "1.5", "95%", "x", "", "0%", "-0.1", "0.1x", "10 %", "1"}) {
    SCOPED_TRACE(in);
    EXPECT_THROW(parse_fraction(in), std::invalid_argument);
  }
}

}  // namespace
}  // namespace gpuprobe
