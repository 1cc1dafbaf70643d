// arguments: the checks a command-line value passes before any work starts,
// shared by every engine's options.
//
// CLI11's own number checks let through what a person never means: `nan`
// and `inf` (every comparison with NaN is false, so NaN is "positive"),
// `99999999999999999999999` (strtoull saturates to 2^64-1), `-1` for an
// unsigned seed (strtoull negates it), `010` (octal 8) and `0x10`, and its
// range message prints a double's bounds with %f (a 310-digit number). These
// validators read the text themselves with std::from_chars, say what is
// allowed in plain numbers, and hand CLI11 the canonical spelling of the
// value they accepted (they are transforms: a check() may not change it),
// so what is converted is what was checked.
//
// Output paths are checked the same way, before the run: a results file that
// cannot be written must not cost a whole matrix (the check creates the
// parent directories, as writing would, and a probe file beside the target).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <system_error>

#include <CLI/CLI.hpp>

#include "replay.hpp"
#include "shard.hpp"

namespace oncecheck::runner {

// A bound as a person writes it: 1000000, not 1e+06.
inline std::string plain_number(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  return number_arg(v);
}
inline std::string plain_number(std::uint64_t v) { return std::to_string(v); }

// A whole number in [lo, hi], written in decimal digits only.
inline CLI::Validator whole_number(std::uint64_t lo, std::uint64_t hi) {
  const std::string allowed = "a whole number from " + plain_number(lo) + " to " + plain_number(hi);
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        std::uint64_t v = 0;
        const char* end = text.data() + text.size();
        const auto r = std::from_chars(text.data(), end, v);
        const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        if (!digits || r.ptr != end) return "'" + text + "' is not " + allowed;
        if (r.ec == std::errc::result_out_of_range || v < lo || v > hi) return text + " is out of range: " + allowed;
        text = plain_number(v);  // no leading zero left for CLI11 to read as octal
        return {};
      },
      "INT in [" + plain_number(lo) + ", " + plain_number(hi) + "]");
}

// A finite decimal number in [lo, hi] (seconds, mostly).
inline CLI::Validator finite_number(double lo, double hi) {
  const std::string allowed = "a number from " + plain_number(lo) + " to " + plain_number(hi);
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        double v = 0;
        const char* end = text.data() + text.size();
        const auto r = std::from_chars(text.data(), end, v);
        if (text.empty() || r.ptr != end || (r.ec != std::errc() && r.ec != std::errc::result_out_of_range))
          return "'" + text + "' is not " + allowed;
        if (!std::isfinite(v) && r.ec == std::errc()) return "'" + text + "' is not " + allowed;
        if (r.ec == std::errc::result_out_of_range || v < lo || v > hi)
          return text + " is out of range: " + allowed;
        text = plain_number(v);
        return {};
      },
      "NUMBER in [" + plain_number(lo) + ", " + plain_number(hi) + "]");
}

// The CLI11 check of --shard: the message names the value.
inline CLI::Validator shard_value() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (parse_shard(text)) return {};
        return "'" + text + "' is not a shard: I/N with 1 <= I <= N <= 4096 (the I-th of N shards)";
      },
      "I/N");
}

// A message as one line: a value with a newline or another control
// character in it (the user's own text, echoed back) is shown escaped.
inline std::string one_line(const std::string& message) {
  std::string out;
  for (const char ch : message) {
    if (static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f) {
      out += ch;
      continue;
    }
    char code[8];
    std::snprintf(code, sizeof code, "\\x%02x", static_cast<unsigned char>(ch));
    out += ch == '\n' ? std::string("\\n") : ch == '\t' ? std::string("\\t") : std::string(code);
  }
  return out;
}

// nullopt when `path` can take a results file; otherwise why not, one line.
// Creates its parent directories (writing would) and removes its probe.
inline std::optional<std::string> check_output_path(const std::string& option, const std::string& path) {
  namespace fs = std::filesystem;
  const std::string named = option + " '" + path + "'";
  if (path.empty()) return option + ": an empty path";
  std::error_code ec;
  const fs::path target = fs::weakly_canonical(fs::absolute(path, ec), ec);
  if (ec) return named + ": " + ec.message();
  for (const char* system : {"/proc", "/sys", "/dev"})
    if (const std::string t = target.string(); t == system || t.starts_with(std::string(system) + "/"))
      return named + ": under " + system + ", not a place for a results file";
  if (path.back() == '/' || fs::is_directory(target, ec)) return named + ": is a directory";
  if (fs::exists(target, ec) && !fs::is_regular_file(target, ec)) return named + ": not a regular file";
  if (const fs::path dir = target.parent_path(); !dir.empty() && !fs::is_directory(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) return named + ": cannot create " + dir.string() + ": " + ec.message();
  }
  // The results are written to PATH.partial and renamed: try that name.
  const std::string probe = target.string() + ".partial";
  bool created = true;
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0 && errno == EEXIST) created = false, fd = ::open(probe.c_str(), O_WRONLY);
  if (fd < 0) return named + ": cannot write there: " + std::strerror(errno);
  ::close(fd);
  if (created) ::unlink(probe.c_str());
  return std::nullopt;
}

// --checkpoint FILE and --resume FILE of an engine's tree searches
// (`searches`: "dpor, dfs", "bound, full"): one search in this process,
// so neither goes with --check-all, --shard or --replay.
inline void add_checkpoint_options(CLI::App& app, std::string& checkpoint, std::optional<std::string>& resume,
                                   const std::string& searches) {
  auto* write = app.add_option("--checkpoint", checkpoint,
                               searches + ": where a search stopped before its end writes its place")
                    ->check([](const std::string& path) { return check_output_path("--checkpoint", path).value_or(""); });
  auto* read = app.add_option("--resume", resume, searches + ": go on from a checkpoint file")->check(CLI::ExistingFile);
  for (auto* o : {write, read})
    for (const char* other : {"--check-all", "--shard", "--replay"}) o->excludes(other);
}

}  // namespace oncecheck::runner
