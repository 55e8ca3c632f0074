"""Token buckets in PostgreSQL: one token per take, several takes in one round trip answer like single ones."""

from __future__ import annotations

import pytest

from spine.db import connection_pool
from spine.testing import fresh_database
from webkit.rate_limit import TokenBuckets

pytestmark = pytest.mark.integration


def test_take_many_spends_tokens_in_order_like_single_takes_even_for_a_repeated_key():
    with fresh_database("webkit") as db:
        pool = connection_pool(db)
        try:
            buckets = TokenBuckets(pool, "test_buckets", rate_per_second=0.001, burst=2).setup()
            verdicts = buckets.take_many(["ann", "bob", "ann", "ann"])
            assert [v.allowed for v in verdicts] == [True, True, True, False]  # ann's third is over her burst
            assert verdicts[3].retry_after > 0
            assert buckets.take("bob").allowed and not buckets.take("bob").allowed
            assert buckets.take_many([]) == []
        finally:
            pool.close()


def test_take_many_answers_like_single_takes_for_many_keys_with_fractional_levels():
    """The same sequence through single takes (one table) and one take_many (another): same verdicts, and the
    refused ones wait for the same next token."""
    keys = ["ann", "bob", "ann", "cy", "ann", "bob", "ann", "dee", "bob", "bob", "ann"]
    with fresh_database("webkit") as db:
        pool = connection_pool(db)
        try:
            single = TokenBuckets(pool, "single_buckets", rate_per_second=0.001, burst=3).setup()
            many = TokenBuckets(pool, "many_buckets", rate_per_second=0.001, burst=3).setup()
            assert [v.allowed for v in many.take_many(["cy"])] == [True]
            single.take("cy")
            expected = [single.take(k) for k in keys]
            got = many.take_many(keys)
            assert [v.allowed for v in got] == [v.allowed for v in expected]
            assert [v.allowed for v in got] == [True, True, True, True, True, True, False, True, True, False, False]
            for g, e in zip(got, expected, strict=True):
                assert abs(g.retry_after - e.retry_after) < 60  # both ~1000 s: a whole token at 0.001/s
            assert not many.take("ann").allowed and many.take("dee").allowed  # the table holds what it gave
        finally:
            pool.close()
