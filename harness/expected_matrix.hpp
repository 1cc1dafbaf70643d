// The expected matrix (models/expected.tsv): one row per design-or-flaw and
// scenario, giving the verdict the model must reach and the verdict the
// stress run must reach. A correct design expects `pass`; a flaw expects the
// verdict of the bug its seed describes. Rows are checked, not trusted: a
// cell that differs fails the run, and a cell with no row fails it too.
//
// Format: whitespace-separated `design flaw scenario model stress [note...]`,
// `#` starts a comment. A column may list alternatives, `pass|hang`, for a
// bug that real threads reach only by chance, and the stress column may name
// a verdict per build label, `pass,tsan=data_race`, for a race only a
// sanitizer can see; the model column likewise per scheduler,
// `deadlock,bound=pass` (random_programs: a tree search meets fewer
// programs than a sampler, and pct and dpor see no weak memory).
#pragma once

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>

#include "../impls/sync/verdict.hpp"

namespace oncecheck {

struct expected_row {
  std::string model;
  std::string stress;  // "v" or "v,label=w,...": w in builds labelled `label`
  std::string note;

  std::string stress_for(const std::string& label) const { return for_label(stress, label); }
  std::string model_for(const std::string& scheduler) const { return for_label(model, scheduler); }

  // `column`'s verdict for `label`: its `label=` entry, else its first.
  static std::string for_label(const std::string& column, const std::string& label) {
    std::string result;
    std::istringstream entries(column);
    for (std::string entry; std::getline(entries, entry, ',');) {
      const auto eq = entry.find('=');
      if (eq == std::string::npos) {
        if (result.empty()) result = entry;
      } else if (entry.compare(0, eq, label) == 0) {
        return entry.substr(eq + 1);
      }
    }
    return result;
  }
};

class expected_matrix {
 public:
  static expected_matrix load(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open expected matrix '" + path + "'");
    expected_matrix m;
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
      std::istringstream fields(line);
      std::string design, flaw, scenario, model, stress;
      if (!(fields >> design)) continue;
      if (!(fields >> flaw >> scenario >> model >> stress))
        throw std::runtime_error(path + ":" + std::to_string(number) + ": expected 5 columns");
      for (const auto& column : {model, stress}) {
        std::istringstream entries(column);
        for (std::string entry; std::getline(entries, entry, ',');) {
          std::istringstream alternatives(entry.substr(entry.find('=') + 1));
          for (std::string v; std::getline(alternatives, v, '|');)
            if (!parse_verdict(v))
              throw std::runtime_error(path + ":" + std::to_string(number) + ": unknown verdict '" + v + "'");
        }
      }
      std::string note;
      std::getline(fields >> std::ws, note);
      m.rows_[{design, flaw, scenario}] = {model, stress, note};
    }
    return m;
  }

  void set(const std::string& design, const std::string& flaw, const std::string& scenario, expected_row row) {
    rows_[{design, flaw, scenario}] = std::move(row);
  }

  const expected_row* find(const std::string& design, const std::string& flaw, const std::string& scenario) const {
    auto it = rows_.find({design, flaw, scenario});
    return it == rows_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::tuple<std::string, std::string, std::string>, expected_row> rows_;
};

}  // namespace oncecheck
