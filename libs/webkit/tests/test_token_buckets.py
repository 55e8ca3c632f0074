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
