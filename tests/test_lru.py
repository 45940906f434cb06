"""The byte-bounded store that holds analyses for every session."""

import threading

from attnviz.lru import ByteBudgetLRU


def test_evicts_least_recently_used_to_stay_within_budget():
    lru = ByteBudgetLRU(10, size=len)
    lru.put("a", "aaaa")
    lru.put("b", "bbbb")
    assert lru.get("a") == "aaaa"  # a is now the most recent
    lru.put("c", "cccc")  # 12 bytes > 10: b goes
    assert lru.get("b") is None and lru.get("a") == "aaaa" and lru.get("c") == "cccc"
    assert lru.total_bytes == 8


def test_value_larger_than_budget_is_returned_but_not_kept():
    lru = ByteBudgetLRU(3, size=len)
    assert lru.put("k", "long value") == "long value"
    assert len(lru) == 0 and lru.total_bytes == 0


def test_replacing_a_key_counts_its_size_once():
    lru = ByteBudgetLRU(100, size=len)
    lru.put("k", "x" * 40)
    lru.put("k", "y" * 50)
    assert lru.total_bytes == 50 and len(lru) == 1


def test_concurrent_puts_keep_the_books_straight():
    lru = ByteBudgetLRU(1000, size=len)
    threads = [threading.Thread(target=lambda i=i: [lru.put((i, j), "z" * 7) for j in range(200)]) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert lru.total_bytes == 7 * len(lru) <= 1000
