// my_map_forgot_notify: a flawed copy of my_map whose done() wakes nobody:
// every waiter of a key sleeps on after its value is published. oncecheck
// must give `deadlock` in coalesce, and the consumer says so
// (oncecheck_add_design(... EXPECT "coalesce=deadlock")).
#pragma once

#include "impls/register_design.hpp"
#include "lock_map.hpp"

template <class K, class V, class Sync = oncecheck::sync::std_backend, class Flaw = oncecheck::flaw::none>
using my_map_forgot_notify = lock_map<K, V, Sync, false>;

ONCECHECK_REGISTER_DESIGN(my_map_forgot_notify);
