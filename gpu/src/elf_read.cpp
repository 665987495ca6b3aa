#include "gpuprobe/gpu/elf_read.hpp"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

namespace gpuprobe {

namespace {

// An open file read with pread at checked offsets.
class File {
 public:
  explicit File(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ >= 0) size_ = static_cast<std::uint64_t>(::lseek(fd_, 0, SEEK_END));
  }
  ~File() {
    if (fd_ >= 0) ::close(fd_);
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  bool ok() const { return fd_ >= 0; }
  bool read(std::uint64_t off, void* out, std::uint64_t n) const {
    if (off > size_ || n > size_ - off) return false;
    auto* p = static_cast<char*>(out);
    while (n > 0) {
      const ssize_t got = ::pread(fd_, p, n, static_cast<off_t>(off));
      if (got <= 0) return false;
      p += got, off += static_cast<std::uint64_t>(got), n -= static_cast<std::uint64_t>(got);
    }
    return true;
  }
  std::optional<std::string> bytes(std::uint64_t off, std::uint64_t n) const {
    std::string s(n, '\0');
    if (!read(off, s.data(), n)) return std::nullopt;
    return s;
  }

 private:
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

struct Sections {
  Elf64_Ehdr eh{};
  std::vector<Elf64_Shdr> sh;
};

std::optional<Sections> read_sections(const File& f) {
  Sections s;
  if (!f.ok() || !f.read(0, &s.eh, sizeof s.eh)) return std::nullopt;
  if (std::memcmp(s.eh.e_ident, ELFMAG, SELFMAG) != 0 || s.eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      s.eh.e_ident[EI_DATA] != ELFDATA2LSB || s.eh.e_shentsize != sizeof(Elf64_Shdr) || s.eh.e_shnum == 0)
    return std::nullopt;
  s.sh.resize(s.eh.e_shnum);
  if (!f.read(s.eh.e_shoff, s.sh.data(), std::uint64_t{s.eh.e_shnum} * sizeof(Elf64_Shdr))) return std::nullopt;
  return s;
}

// The NUL-terminated string at `at` of a string table; "" when out of range.
std::string string_at(const std::string& table, std::uint64_t at) {
  if (at >= table.size()) return "";
  const auto end = table.find('\0', at);
  return table.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

}  // namespace

std::optional<ElfDynamic> read_elf_dynamic(const std::string& path) {
  const File f(path);
  const auto s = read_sections(f);
  if (!s) return std::nullopt;
  for (const auto& sec : s->sh) {
    if (sec.sh_type != SHT_DYNAMIC || sec.sh_link >= s->sh.size()) continue;
    const Elf64_Shdr& strsec = s->sh[sec.sh_link];
    constexpr std::uint64_t kMaxTable = 64u << 20;
    if (sec.sh_size > kMaxTable || strsec.sh_size > kMaxTable) return std::nullopt;
    const auto dyn = f.bytes(sec.sh_offset, sec.sh_size);
    const auto strtab = f.bytes(strsec.sh_offset, strsec.sh_size);
    if (!dyn || !strtab) return std::nullopt;
    ElfDynamic out;
    for (std::size_t i = 0; i + sizeof(Elf64_Dyn) <= dyn->size(); i += sizeof(Elf64_Dyn)) {
      Elf64_Dyn d;
      std::memcpy(&d, dyn->data() + i, sizeof d);
      if (d.d_tag == DT_NULL) break;
      const std::string v = string_at(*strtab, d.d_un.d_val);
      if (d.d_tag == DT_NEEDED) out.needed.push_back(v);
      else if (d.d_tag == DT_RPATH) out.rpath = v;
      else if (d.d_tag == DT_RUNPATH) out.runpath = v;
      else if (d.d_tag == DT_SONAME) out.soname = v;
    }
    return out;
  }
  return std::nullopt;
}

std::optional<std::string> read_elf_section(const std::string& path, const std::string& name, std::size_t max_bytes) {
  const File f(path);
  const auto s = read_sections(f);
  if (!s || s->eh.e_shstrndx >= s->sh.size()) return std::nullopt;
  const Elf64_Shdr& names = s->sh[s->eh.e_shstrndx];
  if (names.sh_size > (16u << 20)) return std::nullopt;
  const auto strtab = f.bytes(names.sh_offset, names.sh_size);
  if (!strtab) return std::nullopt;
  for (const auto& sec : s->sh) {
    if (string_at(*strtab, sec.sh_name) != name) continue;
    if (sec.sh_type == SHT_NOBITS || sec.sh_size > max_bytes) return std::nullopt;
    return f.bytes(sec.sh_offset, sec.sh_size);
  }
  return std::nullopt;
}

std::vector<std::string> expand_elf_search_path(const std::string& list, const std::string& origin) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    const auto colon = list.find(':', start);
    std::string d = list.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    for (const char* token : {"${ORIGIN}", "$ORIGIN"}) {
      const std::string t = token;
      for (auto at = d.find(t); at != std::string::npos; at = d.find(t, at + origin.size())) d.replace(at, t.size(), origin);
    }
    if (!d.empty()) out.push_back(d);
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return out;
}

}  // namespace gpuprobe
