// round_file (harness/stress/round_file.hpp): the round a stress child was
// in survives the child's crash, and a child that ends alive leaves no file.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <string>

#include "harness/stress/round_file.hpp"

namespace oncecheck::stress {
namespace {

std::filesystem::path scratch(const char* name) {
  return std::filesystem::temp_directory_path() / (std::string(name) + "-" + std::to_string(getpid()));
}

TEST(RoundFile, TheRoundOfAChildThatCrashedIsRead) {
  const auto path = scratch("round-crash");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    round_file rounds(path.string());
    for (std::uint64_t r = 1; r <= 4321; ++r) rounds.store(r);
    std::signal(SIGSEGV, SIG_DFL);
    std::raise(SIGSEGV);  // dies here: no destructor runs
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGSEGV);
  EXPECT_EQ(round_file::read(path), std::optional<std::uint64_t>(4321));
  std::filesystem::remove(path);
}

TEST(RoundFile, ARunThatEndsAliveLeavesNoFile) {
  const auto path = scratch("round-alive");
  {
    round_file rounds(path.string());
    rounds.store(3);
    EXPECT_TRUE(std::filesystem::exists(path));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(round_file::read(path), std::nullopt);
}

TEST(RoundFile, NoPathIsNoFileAndNoRound) {
  round_file nowhere("");
  nowhere.store(5);  // goes nowhere, and does not crash
  EXPECT_EQ(round_file::read(scratch("round-none")), std::nullopt);
}

}  // namespace
}  // namespace oncecheck::stress
