// Reads what the dynamic loader would read from a shared library, without loading it: its
// DT_NEEDED names and search paths, and the bytes of one section. 64-bit little-endian ELF only
// (x86_64, aarch64); anything else, a truncated file or an offset out of range is "not readable",
// never a crash: the files come from wherever a Python environment put them.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace gpuprobe {

struct ElfDynamic {
  std::vector<std::string> needed;  // DT_NEEDED, in order: "libcudart.so.13", ...
  std::string rpath;                // DT_RPATH, "" when absent ("$ORIGIN/../../nvidia/cu13/lib:$ORIGIN")
  std::string runpath;              // DT_RUNPATH, "" when absent
  std::string soname;               // DT_SONAME
};

// nullopt when `path` is not a readable 64-bit little-endian ELF file with a dynamic section.
std::optional<ElfDynamic> read_elf_dynamic(const std::string& path);

// The bytes of the section named `name` (".rodata"), at most `max_bytes`; nullopt when the file is
// not such an ELF file, has no section of that name, or the section is larger than `max_bytes`.
std::optional<std::string> read_elf_section(const std::string& path, const std::string& name,
                                            std::size_t max_bytes = 64u << 20);

// The folders of an rpath/runpath list with $ORIGIN (and ${ORIGIN}) replaced by `origin`, the folder
// the library is in; empty entries dropped. $LIB and $PLATFORM are left as they are.
std::vector<std::string> expand_elf_search_path(const std::string& list, const std::string& origin);

}  // namespace gpuprobe
