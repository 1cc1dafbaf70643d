// round_file: the round a stress child is in, kept where its parent can read
// it after the child died.
//
// A crash (SIGSEGV) or a sanitizer that halts the program ends the child
// before it writes its JSON, and the verdict the parent reads from the
// wreck (sanitizer_logs.hpp) had no round: `first_failure_iteration` was
// null. The coordinator stores each round's number in an 8-byte shared
// file mapping: a plain store per round, no system call, and the kernel's
// page cache keeps the last one when the process dies however it dies.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace oncecheck::stress {

class round_file {
 public:
  round_file() = default;
  // No file (an empty path, or one that cannot be made): rounds go nowhere.
  explicit round_file(const std::string& path) {
    if (path.empty()) return;
    path_ = path;
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    if (::ftruncate(fd, sizeof(std::uint64_t)) == 0) {
      void* p = ::mmap(nullptr, sizeof(std::uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      if (p != MAP_FAILED) slot_ = static_cast<std::uint64_t*>(p);
    }
    ::close(fd);
  }
  round_file(const round_file&) = delete;
  round_file& operator=(const round_file&) = delete;
  // A run that ends alive writes its own verdict: the file goes.
  ~round_file() {
    if (slot_) ::munmap(slot_, sizeof(std::uint64_t));
    if (!path_.empty()) ::unlink(path_.c_str());
  }

  void store(std::uint64_t round) noexcept {
    if (slot_) std::atomic_ref<std::uint64_t>(*slot_).store(round, std::memory_order_relaxed);
  }

  // The last round a dead child stored in `path`, if it stored one.
  static std::optional<std::uint64_t> read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::uint64_t round = 0;
    if (!in.read(reinterpret_cast<char*>(&round), sizeof round) || round == 0) return std::nullopt;
    return round;
  }

 private:
  std::string path_;
  std::uint64_t* slot_ = nullptr;
};

}  // namespace oncecheck::stress
