# The scenario catalogue's names (harness/registry.hpp), as
# oncecheck_add_design's default SCENARIOS: an async scenario by its family
# name (notify_latency stands for notify_latency/1w and /2w). The test
# `package_scenarios` checks this list against `oncecheck-model --list`.
set(ONCECHECK_ALL_SCENARIOS
    coalesce drop_with_waiters waiter_cancel lost_wakeup distinct_keys recursive_keys leader_failure
    check_then_act hold_entry_across_await notify_latency async_waiter_cancel random_programs)
# Which runner, and which CTest label, each scheduler belongs to.
set(ONCECHECK_MODEL_SCHEDULERS random bound full)
set(ONCECHECK_EXPLORE_SCHEDULERS dpor pct dfs)
set(ONCECHECK_STRESS_SCHEDULERS plain tsan)
