// junit: a run's cells as JUnit XML (--junit FILE), the shape GitHub, GitLab
// and Jenkins read for per-test results:
//
//   <testsuites tests= failures= errors= skipped= time=>
//     <testsuite name="oncecheck-model" tests= failures= errors= skipped= time=>
//       <testcase classname="design/flaw" name="scenario/scheduler" time="seconds">
//         <failure type="verdict" message="got V, expected E">counterexample, replay</failure>
//         <skipped message="..."/>      a run ended from outside (interrupted,
//                                       unfinished) or an unsupported cell
//       </testcase>
//
// One <testcase> per cell in the order of the JSON. A cell fails when its
// verdict is not the expected one: the expected matrix's in a matrix run,
// --expect in a single run, `pass` when neither names one. `errors` is
// always 0: oncecheck has no verdict for "the check itself broke" that is
// not also a run ended from outside (skipped). Written to PATH.partial and
// renamed, as the JSON is.
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "../cell_result.hpp"
#include "output.hpp"

namespace oncecheck::runner {

// Text as XML character data or an attribute value. Characters XML 1.0
// cannot carry at all (control characters but tab and newline) become
// `\xNN`, as one_line() shows them.
inline std::string xml_escaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20 && ch != '\n' && ch != '\t') {
          char code[8];
          std::snprintf(code, sizeof code, "\\x%02x", static_cast<unsigned char>(ch));
          out += code;
        } else {
          out += ch;
        }
    }
  }
  return out;
}

// What a cell is held to, and how it came out.
enum class junit_outcome { passed, failed, skipped };

// `expect`: the single run's --expect; nullopt in a matrix run (the cell's
// own `expected`) or when nothing was named (then `pass`).
inline junit_outcome outcome_of(const cell_result& c, const std::optional<std::string>& expect, bool matrix) {
  if (outside_end(c.result) || c.result == verdict::unsupported) return junit_outcome::skipped;
  if (matrix) return differs(c) ? junit_outcome::failed : junit_outcome::passed;
  const std::string wanted = expect.value_or("pass");
  return std::string(to_string(c.result)) == wanted ? junit_outcome::passed : junit_outcome::failed;
}

inline std::string expected_text(const cell_result& c, const std::optional<std::string>& expect, bool matrix) {
  if (matrix) return c.expected.empty() ? "(no row)" : c.expected;
  return expect.value_or("pass");
}

// The failure's body: what print_counterexample shows, replay last.
inline std::string failure_text(const cell_result& c) {
  std::string out = c.name() + ": " + std::string(to_string(c.result)) + "\n";
  if (!c.reason.empty()) out += "    " + c.reason + "\n";
  out += c.trace;
  if (!out.empty() && out.back() != '\n') out += '\n';
  if (c.program) out += "  program: " + c.program->line + "\n";
  if (c.shrunk) out += "  shrunk: " + c.shrunk->program.line + "\n";
  if (c.replay) out += "  replay: " + *c.replay + "\n";
  return out;
}

inline std::string seconds(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", ms / 1000.0);
  return buf;
}

// The document for `cells`, one suite named `suite` (the program).
inline std::string junit_document(const std::vector<cell_result>& cells, std::string_view suite,
                                  const std::optional<std::string>& expect, bool matrix) {
  std::size_t failures = 0, skipped = 0;
  double total_ms = 0;
  std::string cases;
  for (const cell_result& c : cells) {
    const junit_outcome o = outcome_of(c, expect, matrix);
    total_ms += c.elapsed_ms;
    cases += "    <testcase classname=\"" + xml_escaped(c.design + "/" + c.flaw) + "\" name=\"" +
             xml_escaped(c.scenario + "/" + c.scheduler) + "\" time=\"" + seconds(c.elapsed_ms) + "\"";
    if (o == junit_outcome::passed) {
      cases += "/>\n";
      continue;
    }
    cases += ">\n";
    const std::string got(to_string(c.result));
    if (o == junit_outcome::skipped) {
      ++skipped;
      cases += "      <skipped message=\"" + xml_escaped(got + (c.reason.empty() ? "" : ": " + c.reason)) + "\"/>\n";
    } else {
      ++failures;
      cases += "      <failure type=\"" + xml_escaped(got) + "\" message=\"" +
               xml_escaped("got " + got + ", expected " + expected_text(c, expect, matrix)) + "\">" +
               xml_escaped(failure_text(c)) + "</failure>\n";
    }
    cases += "    </testcase>\n";
  }
  const std::string counts = "tests=\"" + std::to_string(cells.size()) + "\" failures=\"" + std::to_string(failures) +
                             "\" errors=\"0\" skipped=\"" + std::to_string(skipped) + "\" time=\"" + seconds(total_ms) +
                             "\"";
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"oncecheck\" " + counts + ">\n" +
         "  <testsuite name=\"" + xml_escaped(suite) + "\" " + counts + ">\n" + cases + "  </testsuite>\n" +
         "</testsuites>\n";
}

// Written to PATH.partial and renamed, as write_json_file does.
inline void write_junit(const std::string& path, const std::vector<cell_result>& cells, std::string_view suite,
                        const std::optional<std::string>& expect, bool matrix) {
  const std::string tmp = path + ".partial";
  if (const auto dir = std::filesystem::path(path).parent_path(); !dir.empty()) std::filesystem::create_directories(dir);
  {
    std::ofstream out(tmp);
    if (!out) throw std::runtime_error("cannot write " + tmp);
    out << junit_document(cells, suite, expect, matrix);
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace oncecheck::runner
