// scenario_selection: a build that instantiates only some scenarios.
//
// The Relacy translation unit of a runner compiles every design x scenario
// cell it holds, which takes minutes. A user's build that checks a few
// scenarios (oncecheck_add_design(... SCENARIOS coalesce lost_wakeup)) is
// compiled with ONCECHECK_SCENARIOS="coalesce lost_wakeup": the catalogue's
// scenario list keeps only those (a family name, notify_latency, keeps each
// of its worker counts), so no other scenario body is ever instantiated. A
// name that selects nothing stops the build.
#pragma once

#include <string_view>
#include <type_traits>

namespace oncecheck {

template <template <class, class> class... Scenarios>
struct scenario_list {};

namespace detail {

template <class... Lists>
struct concat_scenarios;
template <>
struct concat_scenarios<> {
  using type = scenario_list<>;
};
template <template <class, class> class... A>
struct concat_scenarios<scenario_list<A...>> {
  using type = scenario_list<A...>;
};
template <template <class, class> class... A, template <class, class> class... B, class... Rest>
struct concat_scenarios<scenario_list<A...>, scenario_list<B...>, Rest...> {
  using type = typename concat_scenarios<scenario_list<A..., B...>, Rest...>::type;
};

// `name` is `wanted`, or one worker count of it (wanted/1w).
constexpr bool names_scenario(std::string_view wanted, std::string_view name) {
  return name == wanted || (name.size() > wanted.size() && name.substr(0, wanted.size()) == wanted &&
                            name[wanted.size()] == '/');
}

// `selection`: names separated by spaces, commas or semicolons.
template <class F>
constexpr void for_each_name(std::string_view selection, F f) {
  std::size_t b = 0;
  while (b < selection.size()) {
    const std::size_t e = selection.find_first_of(" ,;", b);
    const std::size_t end = e == std::string_view::npos ? selection.size() : e;
    if (end > b) f(selection.substr(b, end - b));
    b = end + 1;
  }
}

constexpr bool selected(std::string_view selection, std::string_view name) {
  bool found = false;
  for_each_name(selection, [&](std::string_view wanted) { found = found || names_scenario(wanted, name); });
  return found;
}

}  // namespace detail

// The scenarios of `List` whose name (Probe<S>::name) `selection` names.
template <class List, std::string_view const& Selection, template <template <class, class> class> class Probe>
struct select_scenarios;
template <template <class, class> class... Ss, std::string_view const& Selection,
          template <template <class, class> class> class Probe>
struct select_scenarios<scenario_list<Ss...>, Selection, Probe> {
  using type = typename detail::concat_scenarios<
      std::conditional_t<detail::selected(Selection, Probe<Ss>::name), scenario_list<Ss>, scenario_list<>>...>::type;
  // Every name selects at least one scenario: a misspelling is a build error.
  static constexpr bool every_name_known() {
    bool all = true;
    detail::for_each_name(Selection, [&](std::string_view wanted) {
      all = all && (detail::names_scenario(wanted, Probe<Ss>::name) || ...);
    });
    return all;
  }
};

}  // namespace oncecheck
